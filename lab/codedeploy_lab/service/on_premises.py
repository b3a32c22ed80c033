"""On-premises instances registered with CodeDeploy, and their tags (docs/codedeploy-behavior.md#on-premises-instances).

The control plane only: the lab's hosts are EC2 instances.
"""

from __future__ import annotations

import typing as t

from . import exceptions as exc
from . import validation as v
from .paging import paginate
from .records import OnPremisesInstance
from .records import now
from .state import BackendState


def with_detail(error: type[exc.CodeDeployError], detail: t.Any) -> exc.CodeDeployError:
    """AWS's documented message for the error, then what it is about: "... is not registered: web-1"."""
    return error(f"{error.default_message.rstrip('.')}: {detail}")


class OnPremisesInstances(BackendState):
    def _registered(self, name: t.Any) -> OnPremisesInstance:
        instance = self.on_premises_instances.get(v.check("instanceName", name))
        if instance is None or not instance.registered:
            raise with_detail(exc.InstanceNotRegistered, name)
        return instance

    def register_on_premises_instance(self, name: t.Any, session_arn: t.Any, user_arn: t.Any) -> dict[str, t.Any]:
        v.check("instanceName", name)
        if session_arn and user_arn:
            raise exc.MultipleIamArnsProvided()
        if not session_arn and not user_arn:
            raise exc.IamArnRequired()
        if user_arn:
            v.check("iamUserArn", user_arn)
        if session_arn:
            v.check("iamSessionArn", session_arn)
        existing = self.on_premises_instances.get(name)
        if existing is not None and existing.registered:
            raise with_detail(exc.InstanceNameAlreadyRegistered, name)
        for other in self.on_premises_instances.values():
            if not other.registered:
                continue
            if user_arn and other.iam_user_arn == user_arn:
                raise with_detail(exc.IamUserArnAlreadyRegistered, other.name)
            if session_arn and other.iam_session_arn == session_arn:
                raise with_detail(exc.IamSessionArnAlreadyRegistered, other.name)
        self.on_premises_instances[name] = OnPremisesInstance(
            name=name,
            instance_arn=self._arn(f"instance/{name}"),
            iam_user_arn=user_arn or None,
            iam_session_arn=session_arn or None,
        )
        return {}

    def deregister_on_premises_instance(self, name: t.Any) -> dict[str, t.Any]:
        instance = self.on_premises_instances.get(v.check("instanceName", name))
        if instance is not None and instance.registered:
            instance.deregister_time = now()
        return {}

    def get_on_premises_instance(self, name: t.Any) -> dict[str, t.Any]:
        instance = self.on_premises_instances.get(v.check("instanceName", name))
        if instance is None:
            raise with_detail(exc.InstanceNotRegistered, name)
        return {"instanceInfo": instance.to_info()}

    def batch_get_on_premises_instances(self, names: t.Any) -> dict[str, t.Any]:
        v.check("instanceNames", names)
        infos = []
        for name in dict.fromkeys(names):
            instance = self.on_premises_instances.get(v.check("instanceName", name))
            if instance is not None:
                infos.append(instance.to_info())
        return {"instanceInfos": infos}

    def list_on_premises_instances(self, status: t.Any, tag_filters: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        if status is not None:
            v.check("registrationStatus", status)
        filters = v.tag_filters(tag_filters, "tagFilters", exc.InvalidTagFilter)
        names = sorted(
            instance.name
            for instance in self.on_premises_instances.values()
            if (status is None or instance.registered == (status == "Registered"))
            and (not filters or any(v.tag_filter_matches(f, instance.tags) for f in filters))
        )
        page, token = paginate(names, next_token, "ListOnPremisesInstances")
        return {"instanceNames": page, **token}

    def _instances_for_tagging(self, tag_list: t.Any, names: t.Any) -> tuple[list[OnPremisesInstance], dict[str, str]]:
        """The registered instances named, and the tags as a dict; both calls check them alike."""
        v.check("Tags", tag_list)
        v.check("tagged instanceNames", names)
        try:
            tags = v.tags(tag_list, exc.InvalidTag)
        except exc.InvalidTag as error:
            raise with_detail(exc.InvalidTag, error.message) from None
        return [self._registered(name) for name in dict.fromkeys(names)], tags

    def add_tags_to_on_premises_instances(self, tag_list: t.Any, names: t.Any) -> dict[str, t.Any]:
        instances, new = self._instances_for_tagging(tag_list, names)
        for instance in instances:
            if len({**instance.tags, **new}) > v.MAX_INSTANCE_TAGS:
                raise exc.TagLimitExceeded(
                    f"The on-premises instance {instance.name} would have more than {v.MAX_INSTANCE_TAGS} tags."
                )
        for instance in instances:
            instance.tags.update(new)
        return {}

    def remove_tags_from_on_premises_instances(self, tag_list: t.Any, names: t.Any) -> dict[str, t.Any]:
        instances, removed = self._instances_for_tagging(tag_list, names)
        for instance in instances:
            for key, value in removed.items():
                if instance.tags.get(key) == value:
                    del instance.tags[key]
        return {}
