#!/bin/sh
# RABBITMQ_DEFAULT_USER/PASS into the configuration, then the server in the foreground.
set -eu
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.default = 5672
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
loopback_users = none
log.console = true
log.file = false
CONF
echo '[].' >/etc/rabbitmq/enabled_plugins
exec rabbitmq-server
