#!/bin/sh
# manage.py with the production settings of /etc/medservice/medservice.env (or the file
# MEDSERVICE_ENV_FILE names), run from the code's directory: for migrate, collectstatic,
# createsuperuser, backup and restore, by hand or from cron. Run it as the medservice user.
set -eu
app=$(cd "$(dirname "$0")/.." && pwd)
set -a
. "${MEDSERVICE_ENV_FILE:-/etc/medservice/medservice.env}"
set +a
cd "$app"
exec "$app/.venv/bin/python" manage.py "$@"
