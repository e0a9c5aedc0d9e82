# Sourced by scripts/openstack-testbed: service configuration, database migrations, start-up.
# Uses DIR V ST LOG RUN AUX PREFIX DBPASS SERVICE_PASSWORD ADMIN_PASSWORD and the helpers there.

M="mysql+pymysql://$PREFIX:$DBPASS@127.0.0.1"
KS=http://127.0.0.1:5000/v3

# Listings cross pages in the tier: every service answers at most PAGE items per call
# (OCCI_TESTBED_PAGE_LIMIT, default 5; 0 keeps the services' own defaults, 1000 and more).
PAGE=${OCCI_TESTBED_PAGE_LIMIT:-5}
page_limit() { # section line... : the lines, only when a page limit is set
    [ "$PAGE" -gt 0 ] || return 0
    printf '%s\n' "$@"
}

ksa() { # keystoneauth options of a service user
    cat <<EOF
auth_type = password
auth_url = $KS
project_name = service
project_domain_id = default
user_domain_id = default
region_name = RegionOne
password = $SERVICE_PASSWORD
username = $1
EOF
}

authtoken() {
    printf '[keystone_authtoken]\nwww_authenticate_uri = %s\n' "$KS"
    ksa "$1"
    printf 'service_token_roles_required = true\n'
}

write_configs() {
    local venv_etc=$V/../etc
    mkdir -p "$ST"/{keystone/fernet,keystone/cred,glance/images,glance/staging,glance/tasks} \
        "$ST"/{nova/state,cinder/state,neutron/state,lock,etc/plugins/ml2}
    local E=$ST/etc
    cp "$venv_etc/glance/glance-api-paste.ini" "$venv_etc/nova/api-paste.ini" "$E/" 2>/dev/null \
        || die "paste files missing in the venv"
    cp "$venv_etc/neutron/api-paste.ini" "$E/neutron-api-paste.ini"
    cp "$venv_etc/cinder/api-paste.ini" "$E/cinder-api-paste.ini"
    local rabbit="rabbit://$PREFIX:$DBPASS@127.0.0.1:5672/$PREFIX"
    cat > "$E/keystone.conf" <<EOF
[DEFAULT]
log_file = $LOG/keystone.log
[database]
connection = $M/${PREFIX}_keystone
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $ST/keystone/fernet
[credential]
key_repository = $ST/keystone/cred
[identity]
password_hash_rounds = 4
[cache]
enabled = true
backend = dogpile.cache.memory
EOF
    { cat <<EOF
[DEFAULT]
log_file = $LOG/glance-api.log
enabled_backends = fs:file
$(page_limit "api_limit_max = $PAGE" "limit_param_default = $PAGE")
[database]
connection = $M/${PREFIX}_glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $ST/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $ST/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $ST/glance/tasks
[paste_deploy]
flavor = keystone
config_file = $E/glance-api-paste.ini
[oslo_concurrency]
lock_path = $ST/lock
EOF
      authtoken glance; } > "$E/glance-api.conf"
    { cat <<EOF
[DEFAULT]
log_file = $LOG/placement.log
[placement_database]
connection = $M/${PREFIX}_placement
[api]
auth_strategy = keystone
EOF
      authtoken placement; } > "$E/placement.conf"
    write_nova_conf "$rabbit" > "$E/nova.conf"
    write_neutron_conf "$rabbit" > "$E/neutron.conf"
    cat > "$E/plugins/ml2/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,local
tenant_network_types = local
mechanism_drivers = bind_all
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[securitygroup]
firewall_driver = noop
EOF
    write_cinder_conf "$rabbit" > "$E/cinder.conf"
}

write_nova_conf() {
    cat <<EOF
[DEFAULT]
transport_url = $1
compute_driver = fake.MediumFakeDriver
my_ip = 127.0.0.1
host = occitb-compute
state_path = $ST/nova/state
allow_resize_to_same_host = true
periodic_fuzzy_delay = 0
graceful_shutdown_timeout = 3
# Room for the tier's 60-server test beside the others on one fake host.
cpu_allocation_ratio = 32.0
ram_allocation_ratio = 16.0
disk_allocation_ratio = 16.0
reserved_host_memory_mb = 0
[wsgi]
api_paste_config = $ST/etc/api-paste.ini
[api]
auth_strategy = keystone
$(page_limit "max_limit = $PAGE")
[oslo_concurrency]
lock_path = $ST/lock
[api_database]
connection = $M/${PREFIX}_nova_api
[database]
connection = $M/${PREFIX}_nova
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[quota]
# The conformance tier runs three renderings side by side; the defaults (10 servers) are tight.
instances = 100
cores = 200
ram = 204800
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[cinder]
os_region_name = RegionOne
[service_user]
send_service_user_token = true
$(ksa nova)
[placement]
$(ksa placement)
[neutron]
$(ksa neutron)
$(authtoken nova)
EOF
}

write_neutron_conf() {
    cat <<EOF
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $1
api_paste_config = $ST/etc/neutron-api-paste.ini
state_path = $ST/neutron/state
log_file = $LOG/neutron-api.log
graceful_shutdown_timeout = 3
$(page_limit "pagination_max_limit = $PAGE")
[quotas]
quota_network = 200
quota_subnet = 200
quota_port = 1000
quota_security_group = 100
quota_security_group_rule = 1000
# the overhead benchmark's big project holds 200 floating IPs
quota_floatingip = 300
[database]
connection = $M/${PREFIX}_neutron
[oslo_concurrency]
lock_path = $ST/lock
[nova]
$(ksa nova)
$(authtoken neutron)
EOF
}

write_cinder_conf() {
    cat <<EOF
[DEFAULT]
transport_url = $1
auth_strategy = keystone
api_paste_config = $ST/etc/cinder-api-paste.ini
state_path = $ST/cinder/state
enabled_backends = fake
my_ip = 127.0.0.1
host = occitb-volume
graceful_shutdown_timeout = 3
$(page_limit "osapi_max_limit = $PAGE")
# the overhead benchmark's big project holds 500 volumes
quota_volumes = 600
quota_gigabytes = 3000
[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
[database]
connection = $M/${PREFIX}_cinder
[oslo_concurrency]
lock_path = $ST/lock
[oslo_messaging_notifications]
driver = noop
[nova]
$(ksa nova)
$(authtoken cinder)
EOF
}

sync_databases() { # the migrations are independent: run them side by side
    local E=$ST/etc KM="$V/keystone-manage --config-file $ST/etc/keystone.conf"
    local NC="--config-file $E/neutron.conf --config-file $E/plugins/ml2/ml2_conf.ini"
    local NM="$V/nova-manage --config-file $E/nova.conf" pids=() p
    ( $KM db_sync && $KM fernet_setup --keystone-user root --keystone-group root \
        && $KM credential_setup --keystone-user root --keystone-group root \
        && $KM bootstrap --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-region-id RegionOne \
            --bootstrap-admin-url "$KS/" --bootstrap-internal-url "$KS/" \
            --bootstrap-public-url "$KS/" ) > "$LOG/keystone-sync.log" 2>&1 & pids+=($!)
    "$V/glance-manage" --config-file "$E/glance-api.conf" db_sync > "$LOG/glance-sync.log" 2>&1 &
    pids+=($!)
    ( "$V/placement-manage" --config-file "$E/placement.conf" db sync && $NM api_db sync \
        && $NM cell_v2 map_cell0 --database_connection "$M/${PREFIX}_nova_cell0" \
        && $NM cell_v2 create_cell --name cell1 && $NM db sync ) > "$LOG/nova-sync.log" 2>&1 &
    pids+=($!)
    "$V/neutron-db-manage" $NC upgrade heads > "$LOG/neutron-sync.log" 2>&1 & pids+=($!)
    "$V/cinder-manage" --config-file "$E/cinder.conf" db sync > "$LOG/cinder-sync.log" 2>&1 &
    pids+=($!)
    for p in "${pids[@]}"; do wait "$p" || die "a database migration failed (logs: $LOG/*-sync.log)"; done
    say "databases migrated"
}

start_services() {
    local E=$ST/etc NC="--config-file $ST/etc/neutron.conf --config-file $ST/etc/plugins/ml2/ml2_conf.ini"
    OS_KEYSTONE_CONFIG_DIR=$E OS_KEYSTONE_CONFIG_FILES=keystone.conf \
        uw keystone 5000 keystone.wsgi.api:application
    wait_port 5000
    "$V/python" "$AUX/seed.py" services "$DIR" > "$LOG/seed-services.log" 2>&1 \
        || { cat "$LOG/seed-services.log"; die "seeding Keystone failed"; }
    say "keystone up and seeded"
    OS_GLANCE_CONFIG_DIR=$E OS_GLANCE_CONFIG_FILES=glance-api.conf \
        uw glance 9292 glance.wsgi.api:application
    OS_PLACEMENT_CONFIG_DIR=$E uw placement 8778 placement.wsgi.api:application
    OS_NOVA_CONFIG_DIR=$E OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf" uw nova-api 8774 nova.wsgi.osapi_compute:application \
        --pyargv "--config-file $E/nova.conf"
    OS_NEUTRON_CONFIG_DIR=$E OS_NEUTRON_CONFIG_FILES="neutron.conf;plugins/ml2/ml2_conf.ini" \
        uw neutron 9696 neutron.wsgi.api:application
    uw cinder-api 8776 cinder.wsgi.api:application --pyargv "--config-file $E/cinder.conf"
    for s in conductor scheduler; do
        daemon "nova-$s" "$V/nova-$s" --config-file "$E/nova.conf" --log-file "$LOG/nova-$s.log"
    done
    daemon nova-compute "$V/python" "$AUX/nova_compute.py" --config-file "$E/nova.conf" \
        --log-file "$LOG/nova-compute.log"
    # shellcheck disable=SC2086
    daemon neutron-rpc "$V/neutron-rpc-server" $NC --log-file "$LOG/neutron-rpc.log"
    for s in scheduler volume; do
        daemon "cinder-$s" "$V/cinder-$s" --config-file "$E/cinder.conf" \
            --log-file "$LOG/cinder-$s.log"
    done
    for p in 9292 8778 8774 9696 8776; do wait_port "$p"; done
}
