"""``zsp:hoop`` / ``zsp:policy`` config: clear errors naming file, line and key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from zsp.components.config import StackConfigError, parse_stack_config, read_stack_file


def stack_lines(project_root: Path) -> list[str]:
    return (project_root / "stacks" / "Pulumi.dev.yaml").read_text().splitlines()


def test_dev_and_prod_parse(project_root: Path) -> None:
    for name in ("dev", "prod"):
        config = read_stack_file(project_root, name).parse()
        assert config.hoop is not None and config.policy is not None


def test_api_key_mode_without_key(project_root: Path) -> None:
    stack = read_stack_file(project_root, "dev")
    values = copy.deepcopy(stack.values)
    values["zsp:hoop"]["auth"] = {"mode": "apiKey"}
    with pytest.raises(StackConfigError) as err:
        parse_stack_config(values, stack.display, stack.line_of, stack.secret_keys)
    line = stack.line_of(("hoop", "auth"))
    assert line is not None and "auth:" in stack_lines(project_root)[line - 1]
    assert str(err.value) == (
        f"stacks/Pulumi.dev.yaml:{line}: zsp:hoop.auth: Value error, apiKey mode needs apiKey "
        "(a secure value)"
    )


def test_a_literal_api_key_is_refused(project_root: Path) -> None:
    stack = read_stack_file(project_root, "dev")
    values = copy.deepcopy(stack.values)
    values["zsp:hoop"]["auth"]["apiKey"] = "xapi-literal-in-yaml"
    with pytest.raises(StackConfigError) as err:
        parse_stack_config(values, stack.display, stack.line_of, frozenset())
    assert "zsp:hoop.auth" in str(err.value)
    assert "apiKey is a plain literal" in str(err.value)
    assert "xapi-literal-in-yaml" not in str(err.value)


def test_bad_entity_type_names_the_key(project_root: Path) -> None:
    stack = read_stack_file(project_root, "dev")
    values = copy.deepcopy(stack.values)
    values["zsp:policy"]["maskEntities"] = ["email"]
    with pytest.raises(StackConfigError) as err:
        parse_stack_config(values, stack.display, stack.line_of, stack.secret_keys)
    line = stack.line_of(("policy", "maskEntities"))
    assert line is not None and "maskEntities:" in stack_lines(project_root)[line - 1]
    assert str(err.value) == (
        f"stacks/Pulumi.dev.yaml:{line}: zsp:policy.maskEntities: Value error, 'email' is not a "
        "Presidio entity type (e.g. EMAIL_ADDRESS)"
    )


def test_policy_without_hoop_is_refused(project_root: Path) -> None:
    stack = read_stack_file(project_root, "dev")
    values = copy.deepcopy(stack.values)
    del values["zsp:hoop"]
    with pytest.raises(StackConfigError, match="policy needs the hoop section"):
        parse_stack_config(values, stack.display, stack.line_of, frozenset())
