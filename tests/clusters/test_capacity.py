"""The capacity preview's arithmetic, over nodes and pods shaped as the API serves them."""

from fractions import Fraction

from apps.clusters import capacity

H100 = "NVIDIA-H100-80GB-HBM3"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def node(name, *, gpus=0, product="", taints=(), ready=True, cordoned=False, cpu="64", **extra):
    labels = {"kubernetes.io/hostname": name}
    if product:
        labels["nvidia.com/gpu.product"] = product
    allocatable = {"cpu": cpu, "memory": "256Gi", "pods": "110", **extra}
    if gpus:
        allocatable["nvidia.com/gpu"] = str(gpus)
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": list(taints), "unschedulable": cordoned},
        "status": {
            "allocatable": allocatable,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(node_name, *, gpus=0, cpu="1", memory="1Gi", phase="Running", init=None):
    requests = {"cpu": cpu, "memory": memory}
    limits = {"nvidia.com/gpu": str(gpus)} if gpus else {}
    spec = {
        "nodeName": node_name,
        "containers": [{"name": "server", "resources": {"requests": requests, "limits": limits}}],
    }
    if init:
        spec["initContainers"] = [{"name": "init", "resources": {"requests": init}}]
    return {"spec": spec, "status": {"phase": phase}}


def gpu_ask(gpus, product=H100):
    return capacity.PodAsk(
        requests={
            "cpu": Fraction(2),
            "memory": Fraction(16 * 2**30),
            "pods": Fraction(1),
            "nvidia.com/gpu": Fraction(gpus),
        },
        node_selector={"nvidia.com/gpu.product": product} if product else {},
        tolerations=(GPU_TOLERATION,),
    )


def h100_cluster(*used_per_node):
    nodes = [
        node(f"h100-{i}", gpus=8, product=H100, taints=[GPU_TAINT])
        for i in range(1, len(used_per_node) + 1)
    ]
    pods = [pod(f"h100-{i}", gpus=used) for i, used in enumerate(used_per_node, 1) if used]
    return capacity.node_rooms([*nodes, node("cpu-1")], pods)


def test_a_pod_that_fits_names_how_many_of_the_model_nodes_have_room():
    verdict = capacity.fit(h100_cluster(4, 2, 6), gpu_ask(4))
    assert verdict.fits
    assert verdict.text == f"Fits now: 2 of 3 {H100} nodes have 4 free GPUs"


def test_a_pod_no_node_can_hold_will_wait_naming_the_largest_free_amount():
    verdict = capacity.fit(h100_cluster(4, 6), gpu_ask(8))
    assert not verdict.fits
    assert (
        verdict.text == "Will wait: no node has 8 free nvidia.com/gpu (largest free: 4 on h100-1)"
    )


def test_free_is_allocatable_less_requests_of_running_pods_only():
    nodes = [node("h100-1", gpus=8, product=H100, taints=[GPU_TAINT])]
    pods = [
        pod("h100-1", gpus=4),
        pod("h100-1", gpus=4, phase="Succeeded"),
        pod("h100-1", gpus=2, phase="Failed"),
        pod("", gpus=4, phase="Pending"),  # not bound: holds nothing on any node
    ]
    (room,) = capacity.node_rooms(nodes, pods)
    assert room.free["nvidia.com/gpu"] == 4
    assert room.free["cpu"] == 63
    assert room.free["pods"] == 109


def test_an_init_container_counts_when_it_asks_more_than_the_containers():
    requests = capacity.pod_requests(pod("n", cpu="1", init={"cpu": "4", "memory": "512Mi"}))
    assert requests["cpu"] == 4
    assert requests["memory"] == 2**30


def test_a_gpu_node_whose_taint_the_pod_does_not_tolerate_is_not_a_candidate():
    rooms = h100_cluster(0)
    untolerated = capacity.PodAsk(requests={"nvidia.com/gpu": Fraction(1)})
    verdict = capacity.fit(rooms, untolerated)
    assert not verdict.fits
    assert verdict.text == "Will wait: no node in this cluster offers nvidia.com/gpu"


def test_the_gpu_model_selector_keeps_other_models_out():
    rooms = capacity.node_rooms(
        [node("a100-1", gpus=8, product="NVIDIA-A100-SXM4-80GB", taints=[GPU_TAINT])], []
    )
    verdict = capacity.fit(rooms, gpu_ask(1))
    assert verdict.text == (
        f"Will wait: no node in this cluster offers {H100} GPUs that this deployment may use"
    )


def test_not_ready_and_cordoned_nodes_take_no_pods():
    nodes = [
        node("h100-1", gpus=8, product=H100, taints=[GPU_TAINT], ready=False),
        node("h100-2", gpus=8, product=H100, taints=[GPU_TAINT], cordoned=True),
    ]
    assert not capacity.fit(capacity.node_rooms(nodes, []), gpu_ask(1)).fits


def test_prefer_no_schedule_taints_do_not_keep_pods_off():
    soft = {"key": "spot", "value": "true", "effect": "PreferNoSchedule"}
    rooms = capacity.node_rooms([node("cpu-1", taints=[soft])], [])
    ask = capacity.PodAsk(requests={"cpu": Fraction(2), "memory": Fraction(2**30)})
    assert capacity.fit(rooms, ask).text == "Fits now: 1 of 1 nodes has 2 CPU and 1Gi memory free"


def test_tolerations_follow_kubernetes_matching():
    taint = {"key": "dedicated", "value": "ml", "effect": "NoSchedule"}
    assert capacity.tolerates([{"operator": "Exists"}], taint)
    assert capacity.tolerates([{"key": "dedicated", "operator": "Equal", "value": "ml"}], taint)
    assert not capacity.tolerates([{"key": "dedicated", "operator": "Equal", "value": "x"}], taint)
    assert not capacity.tolerates(
        [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}], taint
    )


def test_replicas_that_only_partly_fit_say_how_many_start():
    verdict = capacity.fit(h100_cluster(4, 6), gpu_ask(2), pods=4)
    assert not verdict.fits
    assert verdict.room_for == 3
    assert verdict.text.startswith("Partly fits: room for 3 of the 4 pods now")


def test_cpu_shortage_names_cpu_with_the_largest_free():
    rooms = capacity.node_rooms([node("cpu-1", cpu="16"), node("cpu-2", cpu="8")], [pod("cpu-1")])
    ask = capacity.PodAsk(requests={"cpu": Fraction(32), "memory": Fraction(2**30)})
    assert capacity.fit(rooms, ask).text == (
        "Will wait: no node has 32 free cpu (largest free: 15 on cpu-1)"
    )


def test_mig_slices_are_offered_and_counted_by_profile():
    nodes = [
        node(
            "mig-1",
            product="NVIDIA-A100-SXM4-80GB",
            taints=[GPU_TAINT],
            **{"nvidia.com/mig-1g.10gb": "7", "nvidia.com/mig-3g.40gb": "2"},
        ),
        node("h100-1", gpus=8, product=H100, taints=[GPU_TAINT]),
    ]
    rooms = capacity.node_rooms(nodes, [])
    assert capacity.advertised(rooms) == ([H100], ["1g.10gb", "3g.40gb"])
    ask = capacity.PodAsk(
        requests={"nvidia.com/mig-1g.10gb": Fraction(2)}, tolerations=(GPU_TOLERATION,)
    )
    assert (
        capacity.fit(rooms, ask).text == "Fits now: 1 of 1 MIG nodes has 2 free 1g.10gb MIG slices"
    )
