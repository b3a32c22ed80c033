"""Tags of applications, deployment groups and custom deployment configurations, named by ARN
(docs/codedeploy-behavior.md#applications-configurations-and-groups)."""

from __future__ import annotations

import typing as t

from . import exceptions as exc
from . import validation as v
from .paging import paginate
from .state import BackendState

NOT_SUPPORTED = (
    "The ARN {arn} is not supported: only CodeDeploy applications, deployment groups and deployment "
    "configurations can be tagged."
)


class Tags(BackendState):
    def _tagged(self, arn: t.Any) -> dict[str, str]:
        """The tag dict of the resource an ARN names, in whichever account and region the ARN names."""
        if not arn:
            raise exc.ResourceArnRequired("The resource ARN is required.")
        parts = arn.split(":", 5) if isinstance(arn, str) else []
        if len(parts) < 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
            raise exc.InvalidArn(f"The ARN {arn} is not a valid ARN.")
        if parts[2] != "codedeploy":
            raise exc.ArnNotSupported(NOT_SUPPORTED.format(arn=arn))
        region, account = parts[3], parts[4]
        backend = self if (account, region) == (self.account_id, self.region) else self.service.backend(account, region)
        kind, _, rest = parts[5].partition(":")
        if kind == "application":
            return backend.get_app(rest).tags
        if kind == "deploymentgroup":
            application, _, group = rest.partition("/")
            return backend.get_group(application, group).tags
        if kind == "deploymentconfig":
            config = backend.get_config(rest)
            if config.builtin:
                raise exc.ArnNotSupported(f"The predefined deployment configuration {rest} cannot be tagged.")
            return config.tags
        raise exc.ArnNotSupported(NOT_SUPPORTED.format(arn=arn))

    def tag_resource(self, arn: t.Any, tag_list: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        v.check("Tags", tag_list)
        new = v.tags(tag_list)
        if len({**tags, **new}) > v.MAX_RESOURCE_TAGS:
            raise exc.InvalidTagsToAdd(f"A resource can have at most {v.MAX_RESOURCE_TAGS} tags.")
        tags.update(new)
        return {}

    def untag_resource(self, arn: t.Any, keys: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        for key in v.check("TagKeys", keys):
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, arn: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        page, token = paginate(
            [{"Key": k, "Value": value} for k, value in tags.items()],
            next_token,
            "ListTagsForResource",
            token_key="NextToken",
        )
        return {"Tags": page, **token}
