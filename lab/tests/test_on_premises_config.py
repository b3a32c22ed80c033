"""How the lab reads an on-premises agent's configuration: the identity it polls CodeDeploy with, or none."""

from __future__ import annotations

import pytest

from codedeploy_lab.fleet.on_premises import AgentIdentity
from codedeploy_lab.fleet.on_premises import OnPremisesError
from codedeploy_lab.fleet.on_premises import check_host_name
from codedeploy_lab.fleet.on_premises import parse_agent_config

SESSION = "arn:aws:sts::123456789012:assumed-role/CodeDeployInstanceRole/web-1"
USER = "arn:aws-cn:iam::123456789012:user/CodeDeploy/web-1"


@pytest.mark.parametrize(
    "text,identity",
    [
        (
            f"---\nregion: us-east-1\niam_session_arn: {SESSION}\naws_credentials_file: /etc/creds\n",
            AgentIdentity("us-east-1", SESSION),
        ),
        (
            f"region: cn-north-1\niam_user_arn: {USER}\naws_access_key_id: AKIA\naws_secret_access_key: s\n",
            AgentIdentity("cn-north-1", USER),
        ),
        (f"region: ' eu-west-1 '\niam_session_arn: '{SESSION} '\n", AgentIdentity("eu-west-1", SESSION)),
    ],
    ids=["session", "user-other-partition", "spaces-trimmed"],
)
def test_an_agent_configuration_names_its_region_and_iam_arn(text, identity):
    assert parse_agent_config(text.encode()) == identity


@pytest.mark.parametrize(
    "text",
    [
        f"region: us-east-1\niam_session_arn: {SESSION}\niam_user_arn: {USER}\n",
        "region: us-east-1\n",
        f"iam_session_arn: {SESSION}\n",
        f"region: [us-east-1]\niam_session_arn: {SESSION}\n",
        "region: us-east-1\niam_session_arn: [1, 2]\n",
        "- region: us-east-1\n",
        "region: [unclosed\n",
        "",
    ],
    ids=["both-arns", "no-arn", "no-region", "region-not-text", "arn-not-text", "not-a-mapping", "not-yaml", "empty"],
)
def test_a_configuration_the_agent_would_refuse_names_no_identity(text):
    assert parse_agent_config(text.encode()) is None


@pytest.mark.parametrize("name", ["web-1", "db.berlin_2", "A" * 63])
def test_host_names_that_are_directory_and_cgroup_names(name):
    assert check_host_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "../up", "a/b", "i-0123456789abcdef0", "A" * 64, None, 7])
def test_other_host_names_are_refused_with_the_rule(name):
    with pytest.raises(OnPremisesError, match=r"^name: .* is not a lab host name; use 1 to 63 letters"):
        check_host_name(name)
