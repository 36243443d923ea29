"""Tab completion and Shift-Tab help through a real client (jupyter_client),
answered by the toolchain's sourcekit-lsp run by the kernel: members of the
DSL's types with their types, names declared in the cell just run, positions
in code points, the doc comment of the symbol at the cursor, and answers
while a cell is still running."""

import time

import pytest
from test_scenarios import send_shell


def wait_for_the_language_server(kernel, timeout=90):
    """The kernel starts sourcekit-lsp after its warm-up compile; until it
    answers, completion comes from the kernel's word list (no types)."""
    deadline = time.time() + timeout
    while not complete(kernel, "NoiseSchedule.")["metadata"]:
        assert time.time() < deadline, "the language server did not answer"
        time.sleep(0.5)


@pytest.fixture(autouse=True, scope="module")
def ready(kernel):
    wait_for_the_language_server(kernel)


def complete(kernel, code, cursor=None):
    return kernel.kc.complete(code, len(code) if cursor is None else cursor, reply=True, timeout=30)["content"]


def inspect(kernel, code, cursor=None):
    return kernel.kc.inspect(code, len(code) if cursor is None else cursor, reply=True, timeout=30)["content"]


def test_members_of_a_dsl_type_complete_with_their_types(kernel):
    code = "NoiseSchedule(.sigmoid, steps: 100)."
    reply = complete(kernel, code)
    assert reply["status"] == "ok"
    assert "alphaBars" in reply["matches"] and "qSample(" in reply["matches"]
    assert reply["cursor_start"] == reply["cursor_end"] == len(code)
    types = {entry["text"]: entry for entry in reply["metadata"]["_jupyter_types_experimental"]}
    assert types["alphaBars"]["type"] == "Tensor"  # what JupyterLab shows beside the name
    assert types["alphaBars"]["signature"] == "alphaBars: Tensor"
    assert types["qSample("]["type"] == "function"
    assert "t: Int" in types["qSample("]["signature"]

    # A prefix is replaced, ranked as the server ranks it.
    reply = complete(kernel, code + "alphaBarsP")
    assert reply["matches"] == ["alphaBarsPrevious"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (len(code), len(code) + len("alphaBarsP"))


def test_positions_are_code_points(kernel):
    code = 'let ᾱ = "ε₀ 🙂"\nNoiseSchedule(.linear, steps: 10).alphaBarsP'
    reply = complete(kernel, code)
    assert reply["matches"] == ["alphaBarsPrevious"]
    assert reply["cursor_end"] == len(code)  # Python counts code points, as the protocol does
    assert reply["cursor_start"] == len(code) - len("alphaBarsP")


def test_a_struct_declared_in_the_previous_cell_completes_its_members(kernel):
    assert kernel.run("struct Batch { var images = 1; var labels = [0] }\nlet batch = Batch()").status == "ok"
    # The server hears of the cell's module when the cell ends and reloads it within
    # about half a second; a student's next Tab comes later than that.
    deadline = time.time() + 10
    while True:
        matches = complete(kernel, "batch.")["matches"]
        if matches or time.time() > deadline:
            break
        time.sleep(0.25)
    assert {"images", "labels"} <= set(matches)
    assert complete(kernel, "Bat")["matches"][0] == "Batch"  # the cell's type first


def test_shift_tab_on_qsample_shows_the_formula(kernel):
    for code in ["let s = NoiseSchedule(.linear, steps: 10)\ns.qSample(",  # an unfinished call
                 "let s = NoiseSchedule(.linear, steps: 10)\ns.qSample(swissRoll(count: 5), t: "]:
        reply = inspect(kernel, code)
        assert reply["found"], code
        markdown = reply["data"]["text/markdown"]
        assert "func qSample(" in markdown or "qSample(x0: Tensor, t: Int)" in markdown
        assert "q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (eq. 4)" in markdown
        assert reply["data"]["text/plain"] == markdown
    # The declaration and doc comment of a type.
    reply = inspect(kernel, "NoiseSchedule")
    assert reply["found"] and "struct NoiseSchedule" in reply["data"]["text/markdown"]
    assert "(Ho et al. 2020)" in reply["data"]["text/markdown"]
    # Nothing there: not found.
    assert not inspect(kernel, "1 + 1   ")["found"]


def test_completion_and_inspection_answer_while_a_cell_runs(kernel):
    running = kernel.kc.execute("for _ in 0..<40 { usleep(100_000) }")  # 4 s of "training"
    time.sleep(1)
    started = time.time()
    reply = complete(kernel, "NoiseSchedule(.linear, steps: 10).alphaBarsP")
    assert reply["matches"] == ["alphaBarsPrevious"]
    assert inspect(kernel, "NoiseSchedule")["found"]
    ready = send_shell(kernel, "is_complete_request", {"code": "let x = ["})
    answer = kernel.kc.get_shell_msg(timeout=10)
    assert answer["parent_header"]["msg_id"] == ready["header"]["msg_id"]
    assert answer["content"]["status"] == "incomplete"
    assert time.time() - started < 2.5, "answered during the cell, not after it"
    reply = kernel.kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == running and reply["content"]["status"] == "ok"


def test_tab_after_a_calls_parenthesis_leaves_the_server_working(kernel):
    # sourcekit-lsp 6.3 hangs or crashes when asked right after `randn(`; the kernel does not ask.
    for code in ["randn(", "twoMoons(", "Figure( "]:
        started = time.time()
        assert complete(kernel, code)["status"] == "ok"
        assert time.time() - started < 1
    assert set(complete(kernel, "twoMoons(count: 5, ")["matches"]) >= {"noise: ", "generator: "}  # argument labels
    assert complete(kernel, "NoiseSchedule(.linear, steps: 10).qSa")["matches"] == ["qSample("]
