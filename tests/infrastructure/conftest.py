import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.config import DeployConfig
from infra.stack import HookwireStack


def synth(context: dict | None = None) -> Template:
    app = App(context=context or {})
    stack = HookwireStack(app, "Hookwire", config=DeployConfig.from_context(app.node.try_get_context))
    return Template.from_stack(stack)


@pytest.fixture(scope="session")
def template() -> Template:
    return synth()
