"""Quantities as the Kubernetes API server writes them back (apimachinery's canonical form)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.lib import quantity


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("2", "2"),
        ("500m", "500m"),
        ("16Gi", "16Gi"),
        ("81920", "81920"),
        ("1e3", "1e3"),
        ("0", "0"),
        ("0.5", "500m"),
        (".5", "500m"),
        ("1.", "1"),
        ("01", "1"),
        ("1000m", "1"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("0.5Ki", "512"),  # under 1Ki a binary amount is written in decimal
        ("1024Mi", "1Gi"),
        ("1E3", "1e3"),
        ("12e2", "1200"),
        ("5e-1", "500e-3"),
        ("1e-400", "1e-9"),  # rounded up to one nano-unit
        ("0.0001n", "1n"),
        ("1.0000000001", "1000000001n"),
    ],
)
def test_a_quantity_reads_back_in_the_api_servers_form(written, kept):
    assert quantity.canonical(written) == kept


def test_an_exponent_far_beyond_any_resource_is_too_large():
    with pytest.raises(quantity.QuantityError, match="too large"):
        quantity.canonical("1e999999999")


@given(
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "Ti"]),
)
def test_the_canonical_form_is_kept_as_it_is_and_means_the_same_amount(number, suffix):
    kept = quantity.canonical(f"{number}{suffix}")
    assert quantity.canonical(kept) == kept
    assert quantity.exact_value(kept) == quantity.exact_value(f"{number}{suffix}")
