"""What apply would change, and how the plan reads."""

from gantry_cli.plan import CREATE, UNCHANGED, UPDATE, compare, differences, render, same


def test_numbers_in_a_file_equal_the_servers_strings():
    assert same("2", 2)
    assert same("", None)
    assert not same("2", 3)


def test_only_the_fields_the_file_names_are_compared():
    current = {"replicas": 1, "cpu": "2", "memory": "8Gi", "gpu_model": ""}

    assert differences({"replicas": 2, "cpu": 2}, current) == {"replicas": (1, 2)}


def test_a_missing_object_is_created_and_an_equal_one_is_unchanged():
    assert compare("model/llama", {"task": "other"}, None).action == CREATE
    assert compare("model/llama", {"task": "other"}, {"task": "other"}).action == UNCHANGED
    assert compare("model/llama", {"task": "other"}, {"task": "speech"}).action == UPDATE


def test_the_plan_reads_one_block_per_object():
    changes = [
        compare("version/llama:v2", {"artifact_uri": "s3://m/v2"}, None),
        compare("deployment/chat", {"replicas": 2, "gpu_model": ""}, {"replicas": 1}),
        compare("model/llama", {}, {}),
    ]

    assert render(changes) == (
        "+ version/llama:v2 (create)\n"
        "    artifact_uri: s3://m/v2\n"
        "~ deployment/chat (update)\n"
        "    replicas: 1 -> 2\n"
        "= model/llama (unchanged)"
    )
