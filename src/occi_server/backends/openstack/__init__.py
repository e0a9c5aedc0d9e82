"""The openstack backend: OCCI served from an OpenStack cloud's public REST APIs."""
