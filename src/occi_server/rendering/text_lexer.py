"""Lexical layer of the OCCI text rendering (GFD.229 §4, RFC 7230 quoting).

Everything here works on one already-decoded header value or body-line value. The productions
in text_grammar.py are built on `Scanner`; `split_values` cuts a `#rule` list into members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from occi_server.errors import BadRequest

# C0 controls and DEL; HTAB is legal inside quoted strings and as white space (RFC 7230).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_OWS = " \t"
MESSAGE_CLIP = 80


def clip(text: str, limit: int = MESSAGE_CLIP) -> str:
    """Shorten `text` for an error message, with control characters made visible."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def check_text(text: str, where: str) -> None:
    """Reject control characters: they cannot occur in a header field value."""
    found = _CONTROL.search(text)
    if found is not None:
        raise BadRequest(
            f"{where}: control character \\x{ord(found.group()):02x} in {clip(text)!r}"
        )


def split_values(value: str, where: str) -> list[str]:
    """Split a comma-separated list, ignoring commas inside quoted strings and <...>.

    Empty members are dropped, as RFC 7230 `#rule` allows (`a, , b`).
    """
    members: list[str] = []
    start = 0
    quoted = angled = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif angled:
            angled = char != ">"
        elif char == '"':
            quoted = True
        elif char == "<":
            angled = True
        elif char == ",":
            members.append(value[start:index])
            start = index + 1
    if quoted or escaped:
        raise BadRequest(f"{where}: unterminated quoted string in {clip(value)!r}")
    if angled:
        raise BadRequest(f"{where}: unterminated <...> in {clip(value)!r}")
    members.append(value[start:])
    return [m.strip(_OWS) for m in members if m.strip(_OWS)]


@dataclass(slots=True)
class Param:
    """One `name=value` parameter; `quoted` tells whether the value was a quoted-string."""

    name: str
    value: str
    quoted: bool


class Scanner:
    """A cursor over one list member; errors name the header and the whole member."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.pos = 0

    def error(self, problem: str) -> BadRequest:
        return BadRequest(f"{self.where}: {problem} in {clip(self.text)!r}")

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_ows(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _OWS:
            self.pos += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "end of value"
            raise self.error(f"expected {char!r}, found {found}")
        self.pos += 1

    def take_until(self, stops: str) -> str:
        """Consume up to (not including) the first character in `stops` or the end."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    def take_match(self, pattern: re.Pattern[str]) -> str:
        found = pattern.match(self.text, self.pos)
        if found is None:
            return ""
        self.pos = found.end()
        return found.group()

    def quoted_string(self) -> str:
        """quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; returns the unescaped text."""
        self.expect('"')
        found = _QUOTED_REST.match(self.text, self.pos)
        if found is None:
            raise self.error("unterminated quoted string")
        self.pos = found.end()
        inner = found.group(1)
        return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner

    def parameters(self) -> list[Param]:
        """*( OWS ";" OWS name OWS "=" OWS ( quoted-string / bare-value ) ), trailing ';' allowed.

        A bare value runs to the next ';' (type identifiers are not RFC 7230 tokens, and the
        Link `category` parameter is unquoted in the ABNF yet contains ':' and '/').
        """
        params: list[Param] = []
        while True:
            self.skip_ows()
            if self.at_end():
                return params
            self.expect(";")
            self.skip_ows()
            if self.at_end():
                return params
            name = self.take_match(_PARAM_NAME)
            if not name:
                raise self.error("expected a parameter name")
            self.skip_ows()
            self.expect("=")
            self.skip_ows()
            params.append(self._param_value(name))

    def _param_value(self, name: str) -> Param:
        if self.peek() == '"':
            return Param(name, self.quoted_string(), quoted=True)
        value = self.take_until(';"').strip(_OWS)
        if not value or self.peek() == '"':
            raise self.error(f"bad value for {name!r}")
        return Param(name, value, quoted=False)


# The rest of a quoted string after its opening quote: its text, then the closing quote.
_QUOTED_REST = re.compile(r'([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_PARAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
