"""Quota bars in human units, and the deployments that hold most of each resource."""

from fractions import Fraction

from apps.quotas import bars, usage

H100 = usage.GPU_PREFIX + "NVIDIA-H100-80GB-HBM3"


def holding(pk: int, name: str, **amounts: int) -> usage.Holding:
    names = {"gpus": H100, "cpu": usage.CPU}
    return usage.Holding(
        pk, name, usage.Demand({names[k]: Fraction(v) for k, v in amounts.items()})
    )


def test_a_bar_names_the_three_largest_holders_largest_first_by_name_on_ties():
    holdings = [
        holding(1, "small", gpus=1),
        holding(2, "big", gpus=4),
        holding(3, "mid-b", gpus=2),
        holding(4, "mid-a", gpus=2),
        holding(5, "cpu-only", cpu=2),
    ]
    used = usage.total(h.demand for h in holdings)
    (gpu_bar, cpu_bar) = bars.bars({H100: Fraction(10), usage.CPU: Fraction(8)}, used, holdings)
    assert gpu_bar.holders == ((2, "big: 4 GPUs"), (4, "mid-a: 2 GPUs"), (3, "mid-b: 2 GPUs"))
    assert cpu_bar.holders == ((5, "cpu-only: 2 cores"),)


def test_one_gpu_is_singular_and_a_bar_without_holdings_names_none():
    (bar,) = bars.bars({H100: Fraction(2)}, usage.Demand({H100: Fraction(1)}))
    assert bar.text == "1 of 2 GPUs"
    assert bar.holders == ()
    assert bars.human(H100, Fraction(1)) == "1 GPU"
    assert bars.human(usage.REPLICAS, Fraction(1)) == "1 replica"
