"""Applications: create, get, batch-get, list, update (rename), delete, against the running lab."""

from __future__ import annotations


def test_create_get_and_list_application(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name = unique_name("app")
    application_id = client.create_application(applicationName=name)["applicationId"]

    info = client.get_application(applicationName=name)["application"]
    assert info["applicationId"] == application_id
    assert info["applicationName"] == name
    assert info["computePlatform"] == "Server"  # the default when omitted
    assert info["linkedToGitHub"] is False
    assert info["createTime"].tzinfo is not None
    names = [n for page in client.get_paginator("list_applications").paginate() for n in page["applications"]]
    assert name in names


def test_create_twice_fails_with_already_exists(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("app")
    client.create_application(applicationName=name)
    with aws_error("ApplicationAlreadyExistsException", f"The application {name} already exists"):
        client.create_application(applicationName=name)


def test_create_with_platform_and_tags(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name = unique_name("lambda-app")
    client.create_application(applicationName=name, computePlatform="Lambda", tags=[{"Key": "team", "Value": "a"}])
    assert client.get_application(applicationName=name)["application"]["computePlatform"] == "Lambda"
    arn = f"arn:aws:codedeploy:us-east-1:123456789012:application:{name}"
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]


def test_invalid_names_and_platform(boto3_client, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("InvalidApplicationNameException", "is too long: 101 characters (the maximum is 100)"):
        client.create_application(applicationName="a" * 101)
    with aws_error("InvalidApplicationNameException", "use only letters, digits and + = , . @ _ -"):
        client.create_application(applicationName="has space")
    with aws_error("InvalidComputePlatformException", "computePlatform 'Windows' is invalid"):
        client.create_application(applicationName="fine-name", computePlatform="Windows")
    with aws_error("InvalidTagsToAddException", "the prefix 'aws:' is reserved"):
        client.create_application(applicationName="fine-name", tags=[{"Key": "aws:x", "Value": "1"}])


def test_get_missing_application(boto3_client, aws_error):
    with aws_error("ApplicationDoesNotExistException", "No application found for name: no-such-app"):
        boto3_client("codedeploy").get_application(applicationName="no-such-app")


def test_batch_get_applications(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    names = [unique_name("batch") for _ in range(3)]
    for name in names:
        client.create_application(applicationName=name)
    infos = client.batch_get_applications(applicationNames=names)["applicationsInfo"]
    assert sorted(i["applicationName"] for i in infos) == sorted(names)
    with aws_error("ApplicationDoesNotExistException", "No application found for name: missing-x"):
        client.batch_get_applications(applicationNames=[names[0], "missing-x"])
    with aws_error("BatchLimitExceededException", "101 application names were given; the maximum is 100"):
        client.batch_get_applications(applicationNames=[f"a{i}" for i in range(101)])


def test_update_application_renames_and_keeps_groups(boto3_client, unique_name, aws_error, service_role):
    client = boto3_client("codedeploy")
    old, new, other = unique_name("old"), unique_name("new"), unique_name("other")
    application_id = client.create_application(applicationName=old)["applicationId"]
    client.create_application(applicationName=other)
    client.create_deployment_group(applicationName=old, deploymentGroupName="g1", serviceRoleArn=service_role)

    with aws_error("ApplicationAlreadyExistsException", f"The application {other} already exists"):
        client.update_application(applicationName=old, newApplicationName=other)
    client.update_application(applicationName=old, newApplicationName=new)

    assert client.get_application(applicationName=new)["application"]["applicationId"] == application_id
    assert client.list_deployment_groups(applicationName=new)["deploymentGroups"] == ["g1"]
    group = client.get_deployment_group(applicationName=new, deploymentGroupName="g1")["deploymentGroupInfo"]
    assert group["applicationName"] == new
    with aws_error("ApplicationDoesNotExistException", f"No application found for name: {old}"):
        client.get_application(applicationName=old)
    with aws_error("ApplicationDoesNotExistException", "No application found for name: gone-app"):
        client.update_application(applicationName="gone-app", newApplicationName=unique_name("x"))


def test_delete_application_removes_groups_and_is_silent_when_missing(
    boto3_client, unique_name, aws_error, service_role
):
    client = boto3_client("codedeploy")
    name = unique_name("del")
    client.create_application(applicationName=name)
    client.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=service_role)
    client.delete_application(applicationName=name)
    with aws_error("ApplicationDoesNotExistException", f"No application found for name: {name}"):
        client.get_application(applicationName=name)
    # A missing application: AWS models no error for DeleteApplication; the lab succeeds silently.
    client.delete_application(applicationName=name)
    # Re-created with the same name, it has no groups from before.
    client.create_application(applicationName=name)
    assert client.list_deployment_groups(applicationName=name)["deploymentGroups"] == []


def test_list_applications_paginates_by_100(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    prefix = unique_name("page")
    created = [f"{prefix}-{i:03d}" for i in range(105)]
    for name in created:
        client.create_application(applicationName=name)
    first = client.list_applications()
    assert len(first["applications"]) == 100 and "nextToken" in first
    names = [n for page in client.get_paginator("list_applications").paginate() for n in page["applications"]]
    assert len(names) == len(set(names))
    assert set(created) <= set(names)
    assert names == sorted(names)


def test_invalid_next_token(boto3_client, aws_error):
    with aws_error("InvalidNextTokenException", "The next token 'garbage' is invalid for ListApplications"):
        boto3_client("codedeploy").list_applications(nextToken="garbage")
