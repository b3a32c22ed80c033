#!/usr/bin/env python

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Create or delete an SNS topic: amazon.aws has no SNS module (sns_topic lives in community.aws)."""

from __future__ import annotations

import json
import os
import sys

import boto3


def main() -> None:
    action, name = sys.argv[1], sys.argv[2]
    sns = boto3.client(
        "sns",
        endpoint_url=os.environ["LAB_ENDPOINT"],
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    arn = sns.create_topic(Name=name)["TopicArn"]
    if action == "absent":
        sns.delete_topic(TopicArn=arn)
    print(json.dumps({"topic_arn": arn}))


if __name__ == "__main__":
    main()
