"""Identity-policy evaluation: moto's (``moto.iam.access_control``), made as strict as AWS where the lab relies on it.

moto finds the caller's policies (a user's inline and managed policies and its groups'; an assumed role's) and
reads their documents; ``IAMPolicyStatement`` decides per statement. Three things are added here, because AWS does
them and moto does not:

* matching follows AWS's wildcards: ``*`` and ``?`` only (moto turns the pattern into a regular expression, so a
  ``.`` matches any character), and actions are case-insensitive
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html);
* ``NotResource`` (moto reads a statement without ``Resource`` as applying to every resource);
* the condition operators AWS documents for string, ARN, boolean and null checks, with ``...IfExists`` and the
  ``ForAnyValue:``/``ForAllValues:`` set qualifiers, on the keys the lab knows for a request (``aws:username``,
  ``aws:PrincipalArn``, ``aws:RequestedRegion``, ``aws:SecureTransport``, ``iam:PassedToService``). A condition
  the lab cannot evaluate (another operator, a key the request has not) does not match, so an Allow with it grants
  nothing and a Deny with it denies nothing
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).

Decision: an explicit Deny in any policy wins; otherwise an Allow allows; otherwise the call is implicitly denied
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
"""

from __future__ import annotations

import enum
import fnmatch
import re
import typing as t

from moto.iam.access_control import IAMPolicy
from moto.iam.access_control import IAMPolicyStatement


class Decision(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = fnmatch.translate(pattern.replace("[", "[[]"))  # AWS has no character classes: '[' is literal
    return re.match(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _values(value: t.Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _string_match(operator: str, expected: list[str], actual: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return actual in expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in (e.lower() for e in expected)
    if operator in ("StringLike", "ArnLike"):
        return any(_glob(e, actual) for e in expected)
    if operator == "Bool":
        return actual.lower() in (e.lower() for e in expected)
    raise KeyError(operator)


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(operator: str, key: str, expected: t.Any, context: t.Mapping[str, t.Any]) -> bool:
    """One ``"Operator": {"key": values}`` entry against the request's context (keys are case-insensitive)."""
    found = next((value for name, value in context.items() if name.lower() == key.lower()), None)
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    expected_values = _values(expected)
    if operator == "Null":
        return (found is None) == (expected_values[0].lower() == "true")
    if found is None:
        return if_exists  # a missing key never matches, unless IfExists says "only if present"
    actual_values = _values(found)
    negated = operator in NEGATED
    base = NEGATED.get(operator, operator)
    try:
        matches = [_string_match(base, expected_values, actual) != negated for actual in actual_values]
    except KeyError:
        return False  # an operator the lab does not evaluate (see the module docstring)
    if qualifier == "ForAllValues":
        return all(matches)
    return any(matches) if qualifier == "ForAnyValue" or len(matches) != 1 else matches[0]


class LabStatement(IAMPolicyStatement):
    """moto's statement with AWS's wildcards, ``NotResource`` and the conditions above."""

    def _check_element_matches(self, statement_element: t.Any, value: str) -> bool:
        ignore_case = statement_element in ("Action", "NotAction")
        return any(_glob(pattern, value, ignore_case) for pattern in _values(self._statement[statement_element]))

    def decide(self, action: str, resource: str, context: t.Mapping[str, t.Any]) -> Decision | None:
        """ALLOWED or EXPLICIT_DENY if this statement applies to the request, else None."""
        if "NotAction" in self._statement:
            if self._check_element_matches("NotAction", action):
                return None
        elif not self._check_element_matches("Action", action):
            return None
        if "NotResource" in self._statement:
            if self._check_element_matches("NotResource", resource):
                return None
        elif not self._check_element_matches("Resource", resource):
            return None
        for operator, entries in (self._statement.get("Condition") or {}).items():
            for key, expected in entries.items():
                if not condition_holds(operator, key, expected, context):
                    return None
        return Decision.ALLOWED if self._statement.get("Effect") == "Allow" else Decision.EXPLICIT_DENY


def decide(policies: t.Iterable[t.Any], action: str, resource: str, context: t.Mapping[str, t.Any]) -> Decision:
    """The decision of a principal's identity policies (moto's policy objects or JSON documents) on one request."""
    allowed = False
    for policy in policies:
        document = IAMPolicy(policy)._policy_json
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            decision = LabStatement(statement).decide(action, resource, context)
            if decision is Decision.EXPLICIT_DENY:
                return decision
            allowed = allowed or decision is Decision.ALLOWED
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY
