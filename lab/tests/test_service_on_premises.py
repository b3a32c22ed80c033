"""On-premises instances: register, deregister, get, batch-get, list with filters, tags."""

from __future__ import annotations

import pytest

USER = "arn:aws:iam::123456789012:user/{}"
SESSION = "arn:aws:sts::123456789012:assumed-role/onprem/{}"


def test_register_get_list_deregister(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name, other = unique_name("host"), unique_name("host")
    client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format(name))
    client.register_on_premises_instance(instanceName=other, iamSessionArn=SESSION.format(other))
    info = client.get_on_premises_instance(instanceName=name)["instanceInfo"]
    assert info["instanceName"] == name and info["iamUserArn"] == USER.format(name)
    assert info["instanceArn"] == f"arn:aws:codedeploy:us-east-1:123456789012:instance/{name}"
    assert "deregisterTime" not in info and info["tags"] == []

    client.add_tags_to_on_premises_instances(tags=[{"Key": "site", "Value": "berlin"}], instanceNames=[name])
    tagged = client.list_on_premises_instances(
        tagFilters=[{"Key": "site", "Value": "berlin", "Type": "KEY_AND_VALUE"}])["instanceNames"]
    assert name in tagged and other not in tagged
    client.remove_tags_from_on_premises_instances(tags=[{"Key": "site", "Value": "berlin"}], instanceNames=[name])
    assert client.get_on_premises_instance(instanceName=name)["instanceInfo"]["tags"] == []

    client.deregister_on_premises_instance(instanceName=name)
    assert "deregisterTime" in client.get_on_premises_instance(instanceName=name)["instanceInfo"]
    assert name in client.list_on_premises_instances(registrationStatus="Deregistered")["instanceNames"]
    assert name not in client.list_on_premises_instances(registrationStatus="Registered")["instanceNames"]
    batch = client.batch_get_on_premises_instances(instanceNames=[name, other, "never-registered"])
    assert sorted(i["instanceName"] for i in batch["instanceInfos"]) == sorted([name, other])
    with aws_error("InstanceNotRegisteredException", f"The on-premises instance {name} is not registered"):
        client.add_tags_to_on_premises_instances(tags=[{"Key": "a", "Value": "b"}], instanceNames=[name])


@pytest.mark.parametrize(("params", "code", "message"), [
    ({"iamUserArn": USER.format("a"), "iamSessionArn": SESSION.format("a")}, "MultipleIamArnsProvidedException",
     "Give either iamSessionArn or iamUserArn, not both"),
    ({}, "IamArnRequiredException", "An IAM ARN is required"),
    ({"iamUserArn": "arn:aws:iam::123456789012:role/x"}, "InvalidIamUserArnException", "is invalid"),
    ({"iamSessionArn": "session"}, "InvalidIamSessionArnException", "The IAM session ARN 'session' is invalid"),
])
def test_register_validation(boto3_client, unique_name, aws_error, params, code, message):
    with aws_error(code, message):
        boto3_client("codedeploy").register_on_premises_instance(instanceName=unique_name("bad"), **params)


def test_duplicates_and_lookups(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("dup")
    client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format(name))
    with aws_error("InstanceNameAlreadyRegisteredException", f"The on-premises instance name {name} is already"):
        client.register_on_premises_instance(instanceName=name, iamUserArn=USER.format("x" + name))
    with aws_error("IamUserArnAlreadyRegisteredException", f"is already registered for instance {name}"):
        client.register_on_premises_instance(instanceName=unique_name("dup"), iamUserArn=USER.format(name))
    with aws_error("InstanceNotRegisteredException", "The on-premises instance ghost-host is not registered"):
        client.get_on_premises_instance(instanceName="ghost-host")
    with aws_error("InvalidRegistrationStatusException", "registrationStatus 'Gone' is invalid"):
        client.list_on_premises_instances(registrationStatus="Gone")
    with aws_error("InvalidTagFilterException", "tagFilters[0].Type 'ANY'"):
        client.list_on_premises_instances(tagFilters=[{"Key": "a", "Type": "ANY"}])
    with aws_error("TagLimitExceededException", "would have more than 10 tags"):
        client.add_tags_to_on_premises_instances(tags=[{"Key": f"k{i}", "Value": "v"} for i in range(11)],
                                                 instanceNames=[name])
