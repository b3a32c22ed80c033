"""On-premises instances: register, deregister, get, batch-get, list with filters, tags, and each error AWS documents.

The messages are AWS's own descriptions of each error (the API reference), followed by what the error is about.
"""

from __future__ import annotations

import pytest

USER = "arn:aws:iam::123456789012:user/{}"
SESSION = "arn:aws:sts::123456789012:assumed-role/onprem/{}"


def test_register_get_list_deregister(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name, other = unique_name("host"), unique_name("host")
    client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format(name))
    client.register_on_premises_instance(instanceName=other, iamSessionArn=SESSION.format(other))
    info = client.get_on_premises_instance(instanceName=name)["instanceInfo"]
    assert info["instanceName"] == name and info["iamUserArn"] == USER.format(name)
    assert "iamSessionArn" not in info
    assert info["instanceArn"] == f"arn:aws:codedeploy:us-east-1:123456789012:instance/{name}"
    assert "deregisterTime" not in info and info["tags"] == []
    assert client.get_on_premises_instance(instanceName=other)["instanceInfo"]["iamSessionArn"] == SESSION.format(other)

    client.add_tags_to_on_premises_instances(tags=[{"Key": "site", "Value": "berlin"}], instanceNames=[name])
    tagged = client.list_on_premises_instances(
        tagFilters=[{"Key": "site", "Value": "berlin", "Type": "KEY_AND_VALUE"}]
    )["instanceNames"]
    assert name in tagged and other not in tagged

    client.deregister_on_premises_instance(instanceName=name)
    deregistered = client.get_on_premises_instance(instanceName=name)["instanceInfo"]
    # DeregisterOnPremisesInstance keeps the tags; only the CLI's `aws deploy deregister` removes them first.
    assert "deregisterTime" in deregistered and deregistered["tags"] == [{"Key": "site", "Value": "berlin"}]
    assert name in client.list_on_premises_instances(registrationStatus="Deregistered")["instanceNames"]
    assert name not in client.list_on_premises_instances(registrationStatus="Registered")["instanceNames"]
    both = client.list_on_premises_instances()["instanceNames"]
    assert name in both and other in both
    batch = client.batch_get_on_premises_instances(instanceNames=[name, other, "never-registered"])
    assert sorted(i["instanceName"] for i in batch["instanceInfos"]) == sorted([name, other])
    client.deregister_on_premises_instance(instanceName="never-registered")  # silent, as AWS models no error


def test_remove_tags_matches_key_and_value(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name = unique_name("host")
    client.register_on_premises_instance(instanceName=name, iamSessionArn=SESSION.format(name))
    client.add_tags_to_on_premises_instances(
        tags=[{"Key": "site", "Value": "berlin"}, {"Key": "role", "Value": "web"}], instanceNames=[name]
    )
    client.remove_tags_from_on_premises_instances(
        tags=[{"Key": "site", "Value": "paris"}, {"Key": "role", "Value": "web"}], instanceNames=[name]
    )
    assert client.get_on_premises_instance(instanceName=name)["instanceInfo"]["tags"] == [
        {"Key": "site", "Value": "berlin"}
    ]


def test_other_partitions_and_accounts_are_accepted(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    china, govcloud = unique_name("cn"), unique_name("gov")
    user_arn = f"arn:aws-cn:iam::210987654321:user/CodeDeploy/{china}"
    session_arn = f"arn:aws-us-gov:sts::210987654321:assumed-role/onprem/{govcloud}"
    client.register_on_premises_instance(instanceName=china, iamUserArn=user_arn)
    client.register_on_premises_instance(instanceName=govcloud, iamSessionArn=session_arn)
    assert client.get_on_premises_instance(instanceName=china)["instanceInfo"]["iamUserArn"] == user_arn
    assert client.get_on_premises_instance(instanceName=govcloud)["instanceInfo"]["iamSessionArn"] == session_arn


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"iamUserArn": USER.format("a"), "iamSessionArn": SESSION.format("a")},
            "MultipleIamArnsProvidedException",
            "Both an user ARN and an IAM session ARN were included in the request. Use only one ARN type.",
        ),
        (
            {},
            "IamArnRequiredException",
            "No IAM ARN was included in the request. You must use an IAM session ARN or user ARN in the request.",
        ),
        (
            {"iamUserArn": "arn:aws:iam::123456789012:role/x"},
            "InvalidIamUserArnException",
            "The IAM user ARN 'arn:aws:iam::123456789012:role/x' is invalid",
        ),
        ({"iamSessionArn": "session"}, "InvalidIamSessionArnException", "The IAM session ARN 'session' is invalid"),
    ],
)
def test_register_validation(boto3_client, unique_name, aws_error, params, code, message):
    client = boto3_client("codedeploy")
    name = unique_name("bad")
    with aws_error(code, message):
        client.register_on_premises_instance(instanceName=name, **params)
    assert name not in client.list_on_premises_instances()["instanceNames"]


def test_invalid_instance_name(boto3_client, aws_error):
    with aws_error("InvalidInstanceNameException", "The on-premises instance name 'has space' is invalid"):
        boto3_client("codedeploy").register_on_premises_instance(instanceName="has space", iamUserArn=USER.format("x"))


def test_names_and_arns_already_registered(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    by_user, by_session = unique_name("dup"), unique_name("dup")
    client.register_on_premises_instance(instanceName=by_user, iamUserArn=USER.format(by_user))
    client.register_on_premises_instance(instanceName=by_session, iamSessionArn=SESSION.format(by_session))

    with aws_error(
        "InstanceNameAlreadyRegisteredException",
        f"The specified on-premises instance name is already registered: {by_user}",
    ):
        client.register_on_premises_instance(instanceName=by_user, iamUserArn=USER.format("x" + by_user))
    with aws_error(
        "IamUserArnAlreadyRegisteredException",
        f"The specified user ARN is already registered with an on-premises instance: {by_user}",
    ):
        client.register_on_premises_instance(instanceName=unique_name("dup"), iamUserArn=USER.format(by_user))
    with aws_error(
        "IamSessionArnAlreadyRegisteredException",
        "The request included an IAM session ARN that has already been used to register a different "
        f"instance: {by_session}",
    ):
        client.register_on_premises_instance(instanceName=unique_name("dup"), iamSessionArn=SESSION.format(by_session))

    # Once deregistered, the ARN is free again, and the name can be registered again (a lab fidelity choice).
    client.deregister_on_premises_instance(instanceName=by_session)
    successor = unique_name("dup")
    client.register_on_premises_instance(instanceName=successor, iamSessionArn=SESSION.format(by_session))
    client.deregister_on_premises_instance(instanceName=successor)
    client.register_on_premises_instance(instanceName=by_session, iamSessionArn=SESSION.format(by_session))
    assert "deregisterTime" not in client.get_on_premises_instance(instanceName=by_session)["instanceInfo"]


def test_instances_not_registered(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("gone")
    client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format(name))
    client.deregister_on_premises_instance(instanceName=name)
    not_registered = "The specified on-premises instance is not registered: {}"
    with aws_error("InstanceNotRegisteredException", not_registered.format("ghost-host")):
        client.get_on_premises_instance(instanceName="ghost-host")
    with aws_error("InstanceNotRegisteredException", not_registered.format(name)):
        client.add_tags_to_on_premises_instances(tags=[{"Key": "a", "Value": "b"}], instanceNames=[name])
    with aws_error("InstanceNotRegisteredException", not_registered.format("ghost-host")):
        client.remove_tags_from_on_premises_instances(tags=[{"Key": "a", "Value": "b"}], instanceNames=["ghost-host"])


def test_tag_errors(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("tags")
    client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format(name))
    with aws_error(
        "InvalidTagException",
        "The tag was specified in an invalid format: Tag key 'aws:site' is invalid: the prefix 'aws:'",
    ):
        client.add_tags_to_on_premises_instances(tags=[{"Key": "aws:site", "Value": "b"}], instanceNames=[name])
    with aws_error("InvalidTagException", "The tag was specified in an invalid format: Tag key '' is invalid"):
        client.remove_tags_from_on_premises_instances(tags=[{"Key": "", "Value": "b"}], instanceNames=[name])
    with aws_error("TagLimitExceededException", "would have more than 10 tags"):
        client.add_tags_to_on_premises_instances(
            tags=[{"Key": f"k{i}", "Value": "v"} for i in range(11)], instanceNames=[name]
        )
    with aws_error("TagRequiredException", "At least one tag is required"):
        client.add_tags_to_on_premises_instances(tags=[], instanceNames=[name])
    assert client.get_on_premises_instance(instanceName=name)["instanceInfo"]["tags"] == []


def test_list_and_batch_errors(boto3_client, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("InvalidRegistrationStatusException", "registrationStatus 'Gone' is invalid"):
        client.list_on_premises_instances(registrationStatus="Gone")
    with aws_error("InvalidTagFilterException", "tagFilters[0].Type 'ANY'"):
        client.list_on_premises_instances(tagFilters=[{"Key": "a", "Type": "ANY"}])
    with aws_error("BatchLimitExceededException", "26 instance names were given; the maximum is 25"):
        client.batch_get_on_premises_instances(instanceNames=[f"host-{i}" for i in range(26)])
