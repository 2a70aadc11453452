#!/usr/bin/env bash
# Reproduces the generate_org figure of docs/performance.md: the L organisation (50,000
# people, 400 teams, 1,000 pipelines) generated into a fresh PostgreSQL database.
#
#   benchmarks/generate_org.sh            # PostgreSQL (the figure we promise)
#   benchmarks/generate_org.sh sqlite     # the same on a fresh SQLite file, for comparison
#
# PG_ADMIN_URL points at a server where the script may drop and create BENCH_DB.
set -euo pipefail

cd "$(dirname "$0")/.."
# Production settings over plain http on the loopback, with a key of the test suite.
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-orgdesign.settings_test}
PYTHON=${PYTHON:-.venv/bin/python}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BENCH_DB=${BENCH_DB:-orgdesign_bench}
SEED=${SEED:-1}

case "${1:-postgres}" in
  postgres)
    psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
    psql "$PG_ADMIN_URL" -q -c "CREATE DATABASE $BENCH_DB"
    export DATABASE_URL="${PG_ADMIN_URL%/*}/$BENCH_DB"
    ;;
  sqlite)
    rm -f /tmp/orgdesign_bench.sqlite3
    export DATABASE_URL=sqlite:////tmp/orgdesign_bench.sqlite3
    ;;
  *)
    echo "usage: $0 [postgres|sqlite]" >&2
    exit 2
    ;;
esac

"$PYTHON" manage.py migrate --noinput -v 0
# The command prints one line ending with the seconds it took (creating the organisation,
# planning and inserting); `time` adds the start-up of Django around it.
time "$PYTHON" manage.py generate_org bench-l --people 50000 --teams 400 --pipelines 1000 \
  --seed "$SEED"
