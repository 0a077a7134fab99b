"""PromQL templates: expansion, and syntax errors reported at start-up, not at view time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.core.lib import promql
from apps.monitoring import checks
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_templates_pass_the_startup_check():
    assert checks.template_errors() == {}
    assert checks.check_promql_templates() == []


def test_a_syntax_error_in_a_template_stops_manage_py_check(tmp_path):
    bad = tmp_path / "promql.json"
    bad.write_text(json.dumps({"gpu_util": "avg by (namespace) (rate(x[5m])"}))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "GANTRY_PROMQL_FILE": str(bad)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "monitoring.E001" in result.stderr
    assert "PromQL template 'gpu_util' does not parse: unclosed left parenthesis" in result.stderr


def test_an_unreadable_template_file_is_named(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "GANTRY_PROMQL_FILE": str(tmp_path / "missing.json")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "GANTRY_PROMQL_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_a_broken_fragment_is_reported_on_every_template_that_uses_it():
    problems = checks.template_errors({"gpu_util_series": "DCGM_FI_DEV_GPU_UTIL{"})
    assert {"gpu_util_series", "gpu_util_mean", "gpu_util", "fleet_gpu_util"} <= set(problems)


def test_an_unknown_variable_is_named():
    problems = promql.check({"q": "sum(x{pod=~'${pods}'})"}, runtimes=[])
    assert "uses ${pods}, which is neither a template nor one of the variables" in problems["q"]


def test_a_template_that_refers_to_itself_is_refused():
    with pytest.raises(promql.TemplateError, match="refers to itself: a -> b -> a"):
        promql.expand("a", {"a": "sum(${b})", "b": "${a}"}, {})


def test_label_replace_references_are_left_alone():
    text = 'label_replace(x, "d", "$1-${1}", "pod", "(${deployments})-.+")'
    out = promql.expand("t", {"t": text}, {"deployments": "a|b"})
    assert out == 'label_replace(x, "d", "$1-${1}", "pod", "(a|b)-.+")'


def test_a_runtime_specific_template_wins_for_that_runtime():
    tmpl = {"q": "rate(${errors}[1m])", "errors": "a_total", "errors.vllm": "b_total"}
    assert promql.expand("q", tmpl, {}, runtime="vllm") == "rate(b_total[1m])"
    assert promql.expand("q", tmpl, {}, runtime="triton") == "rate(a_total[1m])"


def test_a_histogram_override_must_be_a_metric_name():
    problems = promql.check({"histogram.vllm": "foo_bucket"}, runtimes=[])
    assert "without '_bucket'" in problems["histogram.vllm"]


@pytest.mark.django_db
def test_a_cluster_override_with_a_syntax_error_is_refused():
    cluster = factories.ClusterFactory(promql={"errors": "http_requests_total{status=~'5..'"})
    with pytest.raises(ValidationError) as info:
        cluster.full_clean()
    assert "PromQL template 'errors'" in str(info.value)


@pytest.mark.django_db
def test_an_unknown_cluster_override_is_refused():
    cluster = factories.ClusterFactory(promql={"gpu_utilisation": "up"})
    with pytest.raises(ValidationError, match="Unknown PromQL template"):
        cluster.full_clean()


@pytest.mark.django_db
def test_a_valid_cluster_override_is_accepted():
    cluster = factories.ClusterFactory(
        promql={"errors": 'nv_inference_request_failure{namespace=~"${namespaces}"}'}
    )
    cluster.full_clean()


@pytest.mark.django_db
def test_database_checks_report_a_broken_cluster_override():
    factories.ClusterFactory(name="gpu-east", promql={"gpu_memory": "sum(DCGM_FI_DEV_FB_USED"})
    errors = checks.check_cluster_promql(databases=["default"])
    assert [e.id for e in errors] == ["monitoring.E002"]
    assert "Cluster 'gpu-east': PromQL template 'gpu_memory' does not parse" in errors[0].msg
