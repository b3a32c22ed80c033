#!/usr/bin/env bash
# The revision role against the lab: check mode first, then a run that uploads and registers, then a second
# run with the same source that must change nothing (every task) and send no upload (the lab's call counter).
set -eux

export ANSIBLE_ROLES_PATH=../
WORK=$(mktemp -d)
trap 'ansible-playbook -i "${INVENTORY_PATH}" cleanup.yml -e work_dir="${WORK}" "$@"; rm -rf "${WORK}"' EXIT

ansible-playbook -i "${INVENTORY_PATH}" setup.yml -e work_dir="${WORK}" "$@"

# Check mode before anything exists: predicts changes, writes and uploads nothing.
ansible-playbook -i "${INVENTORY_PATH}" run.yml -e work_dir="${WORK}" -e phase=check --check "$@"

ansible-playbook -i "${INVENTORY_PATH}" run.yml -e work_dir="${WORK}" -e phase=first "$@"

ansible-playbook -i "${INVENTORY_PATH}" run.yml -e work_dir="${WORK}" -e phase=second "$@" | tee "${WORK}/second.log"
# No task of the second run reports a change.
grep -E 'changed=0 +unreachable=0 +failed=0' "${WORK}/second.log"

# A changed source gives a new content-addressed key, uploaded and registered.
ansible-playbook -i "${INVENTORY_PATH}" run.yml -e work_dir="${WORK}" -e phase=changed "$@"
