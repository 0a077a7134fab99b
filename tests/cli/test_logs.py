"""Following a log by asking again for its last lines."""

from gantry_cli.logs import new_lines, prefixed


def test_only_lines_after_those_seen_are_new():
    assert new_lines(["a", "b", "c"], ["a", "b", "c", "d"]) == ["d"]
    assert new_lines(["a", "b", "c"], ["b", "c", "d", "e"]) == ["d", "e"]
    assert new_lines(["a", "b"], ["a", "b"]) == []


def test_a_log_with_nothing_in_common_is_all_new():
    assert new_lines([], ["x"]) == ["x"]
    assert new_lines(["a"], ["x", "y"]) == ["x", "y"]


def test_several_pods_prefix_each_line_with_the_pod():
    assert prefixed("chat-1", "one\ntwo\n", True) == ["[chat-1] one", "[chat-1] two"]
    assert prefixed("chat-1", "one\n", False) == ["one"]
