"""What a newcomer hit in the first hour (issue 10), through a real client:
cells that failed for no reason, errors said twice, slow growth."""

import queue
import time


def test_top_level_await_succeeds_keeps_state_and_reports_async_throws(kernel):
    result = kernel.run("func later() async -> Int { 5 }\nlet five = await later()\nprint(five)")
    assert result.status == "ok", result.errors
    assert result.stream() == "5\n"
    assert kernel.run("five + 1").result == "6"

    # Sleeping, async let and a detached task, all in one cell.
    result = kernel.run(
        "try await Task.sleep(for: .milliseconds(30))\n"
        "async let a = later()\n"
        "let doubled = Task.detached { await later() * 2 }\n"
        "let total = await a + doubled.value\n"
        "total")
    assert result.status == "ok", result.errors
    assert result.result == "15"

    # An error thrown by asynchronous top-level code reads like a synchronous one.
    kernel.run("enum Late: Error { case failed }\nfunc failLater() async throws -> Int { throw Late.failed }")
    synchronous = kernel.run("let lost1 = try { () throws -> Int in throw Late.failed }()")
    asynchronous = kernel.run("let lost2 = try await failLater()")
    assert asynchronous.status == synchronous.status == "error"
    assert asynchronous.reply["ename"] == synchronous.reply["ename"] == "Late"
    assert asynchronous.reply["evalue"] == synchronous.reply["evalue"]
    assert kernel.run("five + total").result == "20"

    # A task started by a cell without await runs before the cell ends.
    result = kernel.run('_ = Task { print("from a task") }\nprint("from the cell")')
    assert result.stream() == "from the cell\nfrom a task\n"
    # Forking for the next cells still works after all of this.
    assert kernel.run("await later() + five").result == "10"


def test_types_declared_in_a_cell_are_constructible_in_later_cells(kernel):
    declared = kernel.run(
        "protocol Named { var name: String { get } }\n"
        "struct Dog: Named { let name = \"rex\" }\n"
        "struct Point { var x = 1; var y: Double = 2; let tag = \"p\" }\n"
        "final class Counter { var count = 0 }\n"
        "class Animal { var legs = 4 }\n"
        "enum Kind: String { case linear, cosine }\n"
        "struct Outer { struct Inner { var depth = 3 }; enum Mode { case fast, slow } }\n"
        "actor Tally { var total = 0; func add(_ n: Int) -> Int { total += n; return total } }")
    assert declared.status == "ok", declared.errors
    checks = {
        "Dog().name": '"rex"',
        "(Dog() as Named).name": '"rex"',
        "Point().y": "2.0",
        "Point(x: 5, y: 1).x": "5",  # the memberwise initialiser, inferred type included
        "Counter().count": "0",
        "Kind(rawValue: \"cosine\") == .cosine": "true",
        "Outer.Inner().depth": "3",
        "Outer.Inner(depth: 9).depth": "9",
        "Outer()": "Outer()",
        "await Tally().add(2)": "2",
    }
    for code, expected in checks.items():
        result = kernel.run(code)
        assert result.status == "ok", (code, result.errors)
        assert result.result == expected, code
    # A class of an earlier cell can be subclassed.
    assert kernel.run("final class Spider: Animal { override init() { super.init(); legs = 8 } }").status == "ok"
    assert kernel.run("Spider().legs").result == "8"
    # A redeclared type replaces the earlier one; values of the earlier one stay.
    assert kernel.run("let old = Point()").status == "ok"
    assert kernel.run("struct Point { var x = 1; var z = 7 }").status == "ok"
    assert kernel.run("Point().z + old.x").result == "8"


def test_interrupting_run_all_stops_the_queue_and_keeps_the_trained_steps(kernel):
    """Run All with training then saving: the interrupt ends the training
    cell as an error (state kept), the save cell is aborted without an
    execution count, and the progress line stays where training stopped."""
    training = kernel.kc.execute(
        "var seen = 0\n"
        "let run = train(steps: 100_000) { _ in seen += 1; usleep(1_000); return Tensor(0.5) }")
    saving = kernel.kc.execute('print("saved")')
    time.sleep(3.0)
    kernel.km.interrupt_kernel()
    replies = {}
    while len(replies) < 2:
        reply = kernel.kc.get_shell_msg(timeout=60)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]
    assert replies[training]["status"] == "error"
    assert replies[training]["ename"] == "Interrupted"
    assert replies[saving] == {"status": "aborted"}  # no execution count: it never ran
    updates = []
    while True:
        try:
            message = kernel.kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            break
        if message["parent_header"].get("msg_id") == training and message["msg_type"] == "update_display_data":
            updates.append(message["content"]["data"]["text/plain"])
    final = updates[-1]
    assert final.endswith("(interrupted)"), final
    steps = int(final.split("/")[0].split()[-1])
    assert steps > 100, final
    assert " 0 steps/s" not in final, final
    assert kernel.run("run.steps == seen").result == "true"


def test_a_diverging_run_says_so_once_and_keeps_the_model(kernel):
    result = kernel.run(
        "manualSeed(1)\n"
        "let sched = NoiseSchedule(.sigmoid, steps: 100, betaStart: 1e-5, betaEnd: 0.5e-2)\n"
        "let points = swissRoll(count: 1_000)\n"
        "let hot = MLPDiffusion(steps: 100, width: 32)\n"
        "let hotOptimizer = Adam(hot.parameters(), lr: 100)\n"
        "let hotRun = train(steps: 300, progress: false) { _ in\n"
        "    let loss = diffusionLoss(hot, points, schedule: sched)\n"
        "    hotOptimizer.zeroGrad(); loss.backward(); hotOptimizer.step()\n"
        "    return loss\n"
        "}")
    assert result.status == "ok", result.errors
    stderr = result.stream("stderr")
    assert stderr.count("Training stopped at step") == 1, stderr
    assert "lower learning rate" in stderr and "clipGradNorm" in stderr
    assert kernel.run("hotRun.steps < 300 && hotRun.divergedAt == hotRun.steps").result == "true"
    assert kernel.run("hot.parameters().allSatisfy { $0.scalars.allSatisfy(\\.isFinite) }").result == "true"


def test_errors_say_their_sentence_once(kernel):
    missing = kernel.run('let unloaded = MLPDiffusion(steps: 10, width: 8)\ntry unloaded.load(from: "/nonexistent/x")')
    assert missing.status == "error"
    shown = "\n".join(missing.errors[0]["traceback"])
    assert shown.count("cannot read /nonexistent/x") == 1, shown
    assert missing.reply["ename"] == "Error"
    assert missing.reply["evalue"] == "safetensors: cannot read /nonexistent/x: no such file, or it is not readable."

    mismatch = kernel.run("let sum = Tensor([1, 2]) + Tensor([1, 2, 3])")
    shown = "\n".join(mismatch.errors[0]["traceback"])
    assert shown.count("cannot be broadcast") == 1, shown
    assert "line 1, column 26" in shown  # then the cell's line
    assert mismatch.stream("stderr") == ""  # nothing of it on the stream besides


def test_a_training_cell_shows_its_loss_curve_once(kernel):
    result = kernel.run("let shortRun = train(steps: 40) { step in Tensor(1 / Float(step + 1)) }\nshortRun")
    assert result.status == "ok", result.errors
    live = result.of_type("display_data")
    assert len(live) == 1 and "<img" in live[0]["content"]["data"]["text/html"]  # the live curve
    shown = result.of_type("execute_result")[0]["content"]["data"]
    assert list(shown) == ["text/plain"], list(shown)  # the history adds its summary, not the curve again
    assert shown["text/plain"].startswith("TrainingHistory(40 steps")
    # Without the live display, the history shows the curve itself.
    quiet = kernel.run("train(steps: 40, progress: false) { step in Tensor(Float(step)) }")
    assert "image/png" in quiet.of_type("execute_result")[0]["content"]["data"]
