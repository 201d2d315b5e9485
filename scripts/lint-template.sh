#!/usr/bin/env bash
# Validates template.yaml offline (no AWS credentials needed): cfn-lint, `sam validate --lint`,
# and scripts/check_iam.py (no wildcard IAM, log retention for every function, no dependency
# cycle, counting the ones SAM's function events add, which the other two do not see; the
# public API's functions write DynamoDB only under a dynamodb:LeadingKeys fence; s3:ListBucket
# beside every s3:GetObject; every HTTP API route throttled on its own). Installs the pinned
# tools into the test virtualenv (.venv, or $BRIDGE_VENV) when they are not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${BRIDGE_VENV:-.venv}"
CFN_LINT_VERSION="1.58.0"
SAM_CLI_VERSION="1.170.0"
export SAM_CLI_TELEMETRY=0

# importlib.metadata answers in 0.1 s; `pip show` takes seconds.
if ! "$VENV/bin/python" -c "
import sys
from importlib.metadata import version
sys.exit(0 if (version('cfn-lint'), version('aws-sam-cli')) == ('$CFN_LINT_VERSION', '$SAM_CLI_VERSION') else 1)
" 2>/dev/null; then
  echo "==> installing cfn-lint==$CFN_LINT_VERSION aws-sam-cli==$SAM_CLI_VERSION into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
fi

echo "==> cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml
echo "==> sam validate --lint"
"$VENV/bin/sam" validate --lint --template template.yaml --region us-east-1
echo "==> check_iam"
"$VENV/bin/python3" scripts/check_iam.py --self-test
"$VENV/bin/python3" scripts/check_iam.py template.yaml
