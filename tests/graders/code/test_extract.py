from graders.code.extract import extract_program


def test_last_block_of_the_requested_language_wins() -> None:
    text = "draft\n```python\nx = 1\n```\nfinal:\n```py\nx = 2\n```\n```text\nnot code\n```"
    assert extract_program(text, "python") == "x = 2\n"


def test_cpp_tags() -> None:
    text = "```c++\nint main(){}\n```\n```python\nprint(1)\n```"
    assert extract_program(text, "cpp") == "int main(){}\n"


def test_untagged_block_is_the_fallback() -> None:
    assert extract_program("here:\n```\nprint(3)\n```", "python") == "print(3)\n"


def test_only_other_languages_gives_none() -> None:
    assert extract_program("```java\nclass A {}\n```", "python") is None


def test_reasoning_before_think_end_is_ignored() -> None:
    text = "<think>```python\nbad()\n```</think>\nno fences here: print(1)"
    assert extract_program(text, "python") == "\nno fences here: print(1)"


def test_unclosed_fence_takes_the_rest() -> None:
    assert extract_program("```python\nprint(1)\nprint(2)", "python") == "print(1)\nprint(2)"


def test_bare_code_is_taken_whole() -> None:
    assert extract_program("def f():\n    return 1\n", "python") == "def f():\n    return 1\n"


def test_empty_completion_has_no_program() -> None:
    assert extract_program("   \n", "python") is None


def test_longer_fences_may_contain_short_ones() -> None:
    text = "````python\ns = '''\n```\n'''\n````"
    assert extract_program(text, "python") == "s = '''\n```\n'''\n"
