"""Applications (docs/codedeploy-behavior.md#applications-configurations-and-groups), and the GitHub connections
that belong to them (the lab connects to no GitHub)."""

from __future__ import annotations

import typing as t
import uuid

from . import exceptions as exc
from . import validation as v
from .hooks import remove_hooks
from .paging import paginate
from .records import Application
from .state import BackendState

MAX_APPLICATIONS = 1000


class Applications(BackendState):
    def create_application(self, name: t.Any, compute_platform: t.Any, tags: t.Any) -> dict[str, t.Any]:
        v.application_name(name)
        platform = v.compute_platform(compute_platform)
        tag_map = v.tags(tags)
        if name in self.applications:
            raise exc.ApplicationAlreadyExists(f"The application {name} already exists with this account.")
        if len(self.applications) >= MAX_APPLICATIONS:
            raise exc.ApplicationLimitExceeded(
                f"The maximum number of applications ({MAX_APPLICATIONS}) for this account and region was reached."
            )
        application = Application(application_id=str(uuid.uuid4()), name=name, compute_platform=platform, tags=tag_map)
        self.applications[name] = application
        return {"applicationId": application.application_id}

    def get_application(self, name: t.Any) -> dict[str, t.Any]:
        return {"application": self.get_app(name).to_info()}

    def batch_get_applications(self, names: t.Any) -> dict[str, t.Any]:
        v.check("applicationNames", names)
        return {"applicationsInfo": [self.get_app(name).to_info() for name in dict.fromkeys(names)]}

    def list_applications(self, next_token: t.Any) -> dict[str, t.Any]:
        page, token = paginate(sorted(self.applications), next_token, "ListApplications")
        return {"applications": page, **token}

    def update_application(self, name: t.Any, new_name: t.Any) -> dict[str, t.Any]:
        application = self.get_app(name)
        if not new_name:
            raise exc.ApplicationNameRequired("The new application name (newApplicationName) is required.")
        v.application_name(new_name)
        if new_name == name:
            return {}
        if new_name in self.applications:
            raise exc.ApplicationAlreadyExists(f"The application {new_name} already exists with this account.")
        del self.applications[name]
        application.name = new_name
        self.applications[new_name] = application
        for deployment in self.deployments.values():
            if deployment.application_name == name:
                deployment.application_name = new_name
        return {}

    def delete_application(self, name: t.Any) -> dict[str, t.Any]:
        v.application_name(name)
        application = self.applications.pop(name, None)
        if application is None:
            return {}  # AWS models no not-found error for deletes
        for group in application.deployment_groups.values():
            remove_hooks(self.refs, group, list(group.hooks))
        for deployment_id in [d for d, dep in self.deployments.items() if dep.application_name == name]:
            del self.deployments[deployment_id]
        return {}

    # GitHub connections ------------------------------------------------------------------------------------------

    def list_github_account_token_names(self, next_token: t.Any) -> dict[str, t.Any]:
        page, token = paginate([], next_token, "ListGitHubAccountTokenNames")
        return {"tokenNameList": page, **token}

    def delete_github_account_token(self, token_name: t.Any) -> dict[str, t.Any]:
        if not token_name:
            raise exc.GitHubAccountTokenNameRequired("The GitHub account token name is required.")
        raise exc.GitHubAccountTokenDoesNotExist(f"No GitHub account connection found for name: {token_name}")
