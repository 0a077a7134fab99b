"""The Models pages in Chromium: register a model and a version, see the lineage, and
the role and team limits as a viewer and an outsider meet them."""

import re

import pytest
from playwright.sync_api import expect

from apps.deployments import services as deployments
from apps.registry.runtimes import PRESETS
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue(team, other_team, deployer, environment):
    """A few of the team's models, one version deployed, and another team's model."""
    llama = factories.ModelFactory(
        team=team,
        name="llama-3-8b",
        task="text-generation",
        framework="transformers",
        description="Chat assistant, instruction-tuned.",
    )
    factories.ModelVersionFactory(model=llama, version="v1", created_by=deployer)
    v2 = factories.ModelVersionFactory(
        model=llama, version="v2", artifact_uri="s3://models/llama-3-8b/v2/", created_by=deployer
    )
    deployments.create_deployment(
        actor=deployer, team=team, environment=environment, name="chat", model_version=v2
    )
    bert = factories.ModelFactory(team=team, name="bert-ranker", task="ranking", framework="onnx")
    factories.ModelVersionFactory(model=bert, version="2024-06-01", runtime="triton")
    factories.ModelFactory(team=other_team, name="yolo-secret")
    return llama


def test_a_deployer_registers_a_model_and_a_version_from_a_runtime_preset(
    signed_in, site, deployer, catalogue, screenshot
):
    page = signed_in(deployer)
    page.goto(f"{site}/models/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Models")
    expect(page.get_by_role("row", name=re.compile("llama-3-8b"))).to_contain_text("v2")
    expect(page.get_by_text("yolo-secret")).to_have_count(0)
    screenshot(page, "models-list")

    page.get_by_role("link", name="Register a model").click()
    page.get_by_label("Name").fill("Mistral 7B")
    page.get_by_label("Task").select_option(label="Text generation")
    page.get_by_role("button", name="Register model").click()
    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name_error")).to_contain_text("lowercase")
    screenshot(page, "model-new-error")
    name.fill("mistral-7b")
    page.get_by_label("Description").fill("Small and fast.")
    page.get_by_role("button", name="Register model").click()
    expect(page.get_by_role("status")).to_contain_text("Registered model mistral-7b")
    expect(page.get_by_role("heading", level=1)).to_have_text("mistral-7b")

    page.get_by_role("link", name="Register a version").click()
    expect(page.get_by_label("Image")).to_have_value(PRESETS["vllm"].image)
    page.get_by_label("Runtime").select_option(label="NVIDIA Triton")
    expect(page.get_by_label("Image")).to_have_value(PRESETS["triton"].image)
    expect(page.get_by_label("Port")).to_have_value("8000")
    expect(page.get_by_label("Health path")).to_have_value("/v2/health/ready")
    page.get_by_label("Health path").fill("/v2/health/live")  # the user's own, kept
    page.get_by_label("Runtime").select_option(label="MLServer")
    expect(page.get_by_label("Image")).to_have_value(PRESETS["mlserver"].image)
    expect(page.get_by_label("Port")).to_have_value("8080")
    expect(page.get_by_label("Health path")).to_have_value("/v2/health/live")
    page.get_by_label("Runtime").select_option(label="NVIDIA Triton")
    page.get_by_label("Version", exact=True).fill("v1")
    page.get_by_label("Artifact URI").fill("ftp://models/mistral")
    page.get_by_role("button", name="Register version").click()
    expect(page.get_by_label("Artifact URI")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_artifact_uri_error")).to_be_visible()
    expect(page.get_by_label("Runtime")).to_have_value("triton")
    screenshot(page, "version-new-error")

    page.get_by_label("Artifact URI").fill("s3://models/mistral-7b/v1/")
    page.get_by_role("button", name="Register version").click()
    expect(page.get_by_role("status")).to_contain_text("Registered version v1 of mistral-7b")
    row = page.get_by_role("row", name=re.compile("v1"))
    expect(row).to_contain_text(PRESETS["triton"].image)
    expect(row).to_contain_text("s3://models/mistral-7b/v1/")
    expect(row).to_contain_text("/v2/health/live")
    expect(row).to_contain_text(deployer.username)


def test_the_model_page_links_each_version_to_the_deployments_running_it(
    signed_in, site, deployer, catalogue, screenshot
):
    page = signed_in(deployer)
    page.goto(f"{site}/models/")
    page.get_by_role("link", name="llama-3-8b").click()
    expect(page.get_by_text("Chat assistant, instruction-tuned.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("v2"))
    expect(row).to_contain_text("Running")
    screenshot(page, "model-page")
    row.get_by_role("link", name="chat").click()
    expect(page).to_have_url(re.compile(r"/deployments/\d+/$"))


def test_a_viewer_sees_no_buttons_and_the_forms_answer_403(
    signed_in, site, teammate, catalogue, screenshot
):
    page = signed_in(teammate)
    page.goto(f"{site}/models/")
    expect(page.get_by_role("link", name="llama-3-8b")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name=re.compile("Register"))).to_have_count(0)
    page.goto(f"{site}/models/{catalogue.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("llama-3-8b")
    expect(main.get_by_role("link", name=re.compile("Register|Deploy this"))).to_have_count(0)
    screenshot(page, "model-page-viewer")
    assert page.goto(f"{site}/models/{catalogue.pk}/versions/new/").status == 403
    assert page.goto(f"{site}/models/new/").status == 403


def test_an_outsider_gets_404_for_the_model_and_its_form(signed_in, site, outsider, catalogue):
    page = signed_in(outsider)
    assert page.goto(f"{site}/models/{catalogue.pk}/").status == 404
    assert page.goto(f"{site}/models/{catalogue.pk}/versions/new/").status == 404
    page.goto(f"{site}/models/")
    expect(page.get_by_text("llama-3-8b")).to_have_count(0)
    expect(page.get_by_role("link", name="yolo-secret")).to_be_visible()
