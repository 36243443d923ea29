"""Scenarios through a real client (jupyter_client): what a notebook user
does, and what must never lose their work (issue 3)."""

import time

import zmq
from jupyter_client.session import Session as WireSession

from conftest import Session


def iopub_answer(kernel, msg_type, request, timeout=10):
    """The content of the first iopub message of `msg_type` whose parent is `request`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        message = kernel.kc.get_iopub_msg(timeout=timeout)
        if message["msg_type"] == msg_type and message["parent_header"].get("msg_id") == request["header"]["msg_id"]:
            return message["content"]
    return None


def send_shell(kernel, msg_type, content):
    message = kernel.kc.session.msg(msg_type, content)
    kernel.kc.shell_channel.send(message)
    return message


def request_states(kernel, comm_id):
    """Opens ipywidgets' control comm as JupyterLab does on (re)connect and
    returns the content of the kernel's answer to `request_states`."""
    send_shell(kernel, "comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}})
    ask = send_shell(kernel, "comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
    return iopub_answer(kernel, "comm_msg", ask)


def test_later_cells_redefine_variables_functions_types_and_extensions(kernel):
    assert kernel.run("var betas = [0.1, 0.2]\nfunc scale(_ x: Double) -> Double { x * 2 }").status == "ok"
    assert kernel.run("betas.count").result == "2"
    assert kernel.run("let betas = [0.5]").status == "ok"  # a let shadows the earlier var
    assert kernel.run("betas").result == "[0.5]"
    assert kernel.run("scale(3)").result == "6.0"
    assert kernel.run("func scale(_ x: Double) -> Double { x * 10 }").status == "ok"
    assert kernel.run("scale(3)").result == "30.0"

    assert kernel.run("struct Point { var x: Int }").status == "ok"
    assert kernel.run("Point(x: 1).x").result == "1"
    assert kernel.run("struct Point { var x: Int; var y: Int }").status == "ok"
    assert kernel.run("Point(x: 1, y: 2).y").result == "2"

    assert kernel.run("extension Int { var doubled: Int { self * 2 } }").status == "ok"
    assert kernel.run("21.doubled").result == "42"
    assert kernel.run("extension Int { var doubled: Int { self * 200 } }").status == "ok"
    assert kernel.run("21.doubled").result == "4200"

    # Re-running the same cell works.
    for _ in range(2):
        assert kernel.run("var counter = 0").status == "ok"
    assert kernel.run("counter += 1\ncounter").result == "1"


def test_the_dsl_is_in_scope_and_values_show_themselves(kernel):
    result = kernel.run("manualSeed(0)\nlet x = randn(2, 3)\nx.shape")
    assert result.status == "ok", result.errors
    assert result.result == "[2, 3]"
    assert kernel.run('"quoted"').result == '"quoted"'
    assert kernel.run("print(1)").result is None  # Void shows nothing
    handle = kernel.run('let h = display(html: "<i>1</i>")\nh.update(html: "<i>2</i>")')
    updates = handle.of_type("update_display_data")
    assert len(updates) == 1
    assert updates[0]["content"]["transient"]["display_id"] == handle.of_type("display_data")[0]["content"]["transient"]["display_id"]


def test_compile_error_points_at_the_line_and_keeps_state(kernel):
    assert kernel.run("let kept = 41").status == "ok"
    result = kernel.run("let a = 1\nlet b: Int = undefinedName + 1")
    assert result.status == "error"
    assert len(result.errors) == 1
    traceback = "\n".join(result.errors[0]["traceback"])
    assert "line 2, column 14" in traceback, traceback
    assert "cannot find 'undefinedName' in scope" in traceback
    assert "let b: Int = undefinedName + 1" in traceback
    assert result.stream("stderr") == ""  # diagnostics only in the error
    assert kernel.run("kept + 1").result == "42"


def test_rollback_after_trap_throw_and_exit(kernel):
    assert kernel.run("var state = [1, 2, 3]").status == "ok"

    trap = kernel.run('state.append(4)\nprint("before the trap")\nlet i = state[10]')
    assert trap.status == "error"
    assert trap.reply["ename"] == "Fatal error"
    assert trap.reply["evalue"] == "Index out of range"
    assert "before the trap" in trap.stream("stdout")  # printed output is not lost
    traceback = "\n".join(trap.errors[0]["traceback"])
    assert "line 3" in traceback and "state[10]" in traceback, traceback
    assert kernel.run("state").result == "[1, 2, 3]"

    kernel.run("enum Oops: Error { case bad }")
    thrown = kernel.run("state.append(5)\nthrow Oops.bad")
    assert thrown.status == "error"
    assert thrown.reply["ename"] == "Oops"
    assert "bad" in thrown.reply["evalue"]
    assert kernel.run("state").result == "[1, 2, 3]"

    exited = kernel.run("import Glibc\nstate.append(6)\nexit(1)")
    assert exited.status == "error"
    assert "exit(1)" in exited.reply["evalue"]
    assert kernel.run("state").result == "[1, 2, 3]"

    unwrap = kernel.run("let missing: Int? = nil\nmissing! + 1")
    assert unwrap.status == "error"
    assert "nil" in unwrap.reply["evalue"]

    fatal = kernel.run('fatalError("stop here")')
    assert fatal.reply["evalue"] == "stop here"

    overflow = kernel.run("func down(_ n: Int) -> Int { down(n + 1) + 1 }\ndown(0)")
    assert overflow.status == "error"
    assert kernel.run("state.count").result == "3"


def test_interrupt_of_a_busy_loop_rolls_back(kernel):
    kernel.run("var survived = 7")
    msg_id = kernel.kc.execute("survived = 0\nwhile true {}")
    time.sleep(2.0)  # compiled and running
    kernel.km.interrupt_kernel()
    reply = kernel.kc.get_shell_msg(timeout=30)
    while reply["parent_header"]["msg_id"] != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert kernel.run("survived").result == "7"


def test_interrupt_lets_a_cooperative_loop_keep_its_progress(kernel):
    msg_id = kernel.kc.execute("var steps = 0\nwhile !Interrupt.isRequested { steps += 1 }")
    time.sleep(2.0)
    kernel.km.interrupt_kernel()
    reply = kernel.kc.get_shell_msg(timeout=30)
    while reply["parent_header"]["msg_id"] != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=30)
    # Stopped at the interrupt, it ends as an error (the frontend stops its
    # queue, as for ipykernel's KeyboardInterrupt) and keeps what it did.
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert int(kernel.run("steps").result) > 0


def test_stdin(kernel):
    answered = kernel.run('let name = readLine(prompt: "Your name? ")\nname ?? "none"',
                          allow_stdin=True, stdin_answer="Ada")
    assert answered.result == '"Ada"'
    refused = kernel.run('readLine() ?? "no input"', allow_stdin=False)
    assert refused.result == '"no input"'


def test_output_streams_live_including_text_without_newline(kernel, tmp_path):
    # The cell waits for a file that the test creates only once it has seen the
    # first text: order, not seconds, proves the text arrived while the cell ran.
    signal = tmp_path / "seen"
    code = (f'import Glibc\nprint("step 1", terminator: "")\nvar waited = 0\n'
            f'while access("{signal}", F_OK) != 0 && waited < 6_000 {{ usleep(10_000); waited += 1 }}\n'
            f'print(waited < 6_000 ? " step 2" : " timed out")')
    msg_id = kernel.kc.execute(code)
    texts = []
    while True:
        msg = kernel.kc.get_iopub_msg(timeout=90)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
            signal.touch()
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert texts[0] == "step 1", texts
    assert "".join(texts) == "step 1 step 2\n", texts


def test_a_message_with_a_wrong_signature_is_ignored(kernel):
    info = kernel.km.get_connection_info()
    forged = WireSession(key=b"not the key", signature_scheme="hmac-sha256")
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    forged.send(socket, "execute_request", {"code": "let forged = 1", "silent": False, "store_history": True,
                                             "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    assert socket.poll(2000) == 0  # no reply
    socket.close()
    context.term()
    assert kernel.run("forged").status == "error"  # it never ran
    assert kernel.run("1 + 1").result == "2"  # and the kernel is fine


def test_stop_on_error_aborts_queued_cells(kernel):
    first = kernel.kc.execute("let failing: Int = nil")
    second = kernel.kc.execute("let neverRuns = 1")
    replies = {}
    while len(replies) < 2:
        reply = kernel.kc.get_shell_msg(timeout=60)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert replies[first] == "error"
    assert replies[second] == "aborted"


def test_executor_killed_from_outside_resets_state_and_says_so():
    session = Session()
    try:
        assert session.run("let before = 1").status == "ok"
        pid = int(session.run("import Glibc\ngetpid()").result)  # the state holder now
        import os
        import signal
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        after = session.run("let after = 2")
        assert after.status == "ok"
        assert "state was reset" in after.stream("stderr")
        assert session.run("after").result == "2"
    finally:
        session.close()


def test_two_hundred_cells_in_one_session():
    session = Session()
    try:
        for i in range(200):
            code = f"let v{i % 50} = {i}" if i % 3 else f"var total{i} = {i}\ntotal{i} += 1"
            result = session.run(code)
            assert result.status == "ok", (i, result.errors)
        last = {}
        for i in range(200):
            if i % 3:
                last[i % 50] = i
        assert session.run("v0 + v49").result == str(last[0] + last[49])
        assert session.run("total198").result == "199"
    finally:
        session.close()


def test_kernel_info_on_control_and_silent_cells(kernel):
    msg = kernel.kc.session.msg("kernel_info_request")
    kernel.kc.control_channel.send(msg)
    reply = kernel.kc.get_control_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    info = reply["content"]["language_info"]
    assert (info["name"], info["mimetype"], info["file_extension"]) == ("swift", "text/x-swift", ".swift")

    kernel.kc.comm_info()
    assert kernel.kc.get_shell_msg(timeout=10)["content"] == {"status": "ok", "comms": {}}

    # A comm to a target the kernel does not have is closed at once (messaging spec).
    opening = send_shell(kernel, "comm_open", {"comm_id": "c-42", "target_name": "no.such.target", "data": {}})
    assert iopub_answer(kernel, "comm_close", opening) == {"comm_id": "c-42", "data": {}}

    # ipywidgets' control comm (protocol 1.0.0) is kept and answers request_states at once,
    # so that JupyterLab does not wait 4 s on reload; comm_info lists it by target.
    answer = request_states(kernel, "ctl-1")
    assert answer == {"comm_id": "ctl-1", "data": {"method": "update_states", "states": {}, "buffer_paths": []}}
    kernel.kc.comm_info(target_name="jupyter.widget.control")
    assert kernel.kc.get_shell_msg(timeout=10)["content"] == {
        "status": "ok", "comms": {"ctl-1": {"target_name": "jupyter.widget.control"}}}
    send_shell(kernel, "comm_close", {"comm_id": "ctl-1", "data": {}})
    kernel.kc.comm_info()
    assert kernel.kc.get_shell_msg(timeout=10)["content"] == {"status": "ok", "comms": {}}

    count = kernel.run("1").reply["execution_count"]
    silent = kernel.run('let quiet = 5\nprint("not shown")\nquiet', silent=True)
    assert silent.status == "ok" and silent.outputs == []
    assert silent.reply["execution_count"] == count  # silent cells are not counted
    assert kernel.run("quiet").result == "5"


def test_restart_gives_a_fresh_state():
    session = Session()
    try:
        assert session.run("let old = 1").status == "ok"
        session.km.restart_kernel(now=False)
        session.kc.wait_for_ready(timeout=60)
        assert session.run("old").status == "error"
        assert session.run("let new = 2\nnew").result == "2"
    finally:
        session.close()


def test_a_second_backward_through_one_graph_says_so(kernel):
    """Derivatives free their saved values as they run (as PyTorch does
    without retain_graph), so a second backward() on one loss stops with the
    fix, and the cell rolls back."""
    assert kernel.run("let twiceX = randn(3).requiringGrad()\nlet twiceLoss = twiceX.exp().sum()\ntwiceLoss.backward()").status == "ok"
    again = kernel.run("twiceLoss.backward()")
    assert again.status == "error"
    assert "already differentiated" in again.reply["evalue"] and "compute the loss again" in again.reply["evalue"]
    assert kernel.run("twiceX.grad!.shape").result == "[3]"


def test_training_shows_sample_previews_in_place_and_images_as_grids(kernel):
    """Issue 13: train's live output gains a grid of samples every `every`
    steps, in the same display (one display_data, then updates); a batch of
    images is a PNG grid."""
    setup = kernel.run(
        "let tiny = UNet(imageChannels: 1, baseChannels: 8, channelMults: [1], resBlocks: 1, timeEmbeddingDim: 16,\n"
        "                attentionResolutions: [], groups: 4, classes: 10, generator: Generator(seed: 1))\n"
        "let s = NoiseSchedule(.linear, steps: 20)\n"
        "let d = renderedDigits(count: 64, size: 8, seed: 1)\n"
        "let o = Adam(tiny.parameters(), lr: 1e-3)\n"
        "d.images[0..<16]")
    assert setup.status == "ok", setup.errors
    assert "image/png" in setup.of_type("execute_result")[0]["content"]["data"]
    result = kernel.run(
        "let p = SamplePreview.samples(of: tiny, sampler: DDIMSampler(schedule: s, steps: 4), shape: [4, 1, 8, 8],\n"
        "                              labels: [0, 1, 2, 3], every: 5)\n"
        "let h = train(epochs: 10, over: DataLoader(d.images, labels: d.labels, batchSize: 32), preview: p) { x, y in\n"
        "    let loss = diffusionLoss(tiny, x, labels: y, schedule: s)\n"
        "    o.zeroGrad(); loss.backward(); o.step(); return loss\n"
        "}\n"
        "h.steps")
    assert result.status == "ok", result.errors
    assert result.result == "20"
    shown = result.of_type("display_data")
    assert len(shown) == 1
    ident = shown[0]["content"]["transient"]["display_id"]
    updates = result.of_type("update_display_data")
    assert all(u["content"]["transient"]["display_id"] == ident for u in updates)
    final = updates[-1]["content"]["data"]["text/html"]
    assert "samples after 20 steps" in final and final.count("data:image/png") == 2


def test_a_comm_opened_by_a_cell_reaches_the_frontend_and_its_widget_state_is_kept(kernel):
    """Issue 14, part 1: a cell opens a widget comm (target jupyter.widget,
    protocol metadata, a binary buffer), updates it and displays it; the
    kernel publishes each message with the cell as parent, lists the comm in
    comm_info, and answers the control comm's request_states with the
    latest state, without the notebook's process."""
    state = ('["_model_name": "IntSliderModel", "_model_module": "@jupyter-widgets/controls", '
             '"_model_module_version": "2.0.0", "_view_name": "IntSliderView", '
             '"_view_module": "@jupyter-widgets/controls", "_view_module_version": "2.0.0", "value": 3]')
    result = kernel.run(
        f'let slider = Comm.open(target: "jupyter.widget", data: ["state": {state}, "buffer_paths": []],\n'
        f'                       metadata: ["version": "2.1.0"], buffers: [Data([1, 2, 3])])\n'
        'slider.send(["method": "update", "state": ["value": 7]])\n'
        'display(MimeBundle(data: ["application/vnd.jupyter.widget-view+json": '
        '["model_id": .string(slider.id), "version_major": 2, "version_minor": 0]]))\n'
        'slider.id')
    assert result.status == "ok", result.errors
    comm_id = result.result.strip('"')
    opened = result.of_type("comm_open")
    assert len(opened) == 1
    assert opened[0]["content"]["target_name"] == "jupyter.widget"
    assert opened[0]["content"]["comm_id"] == comm_id
    assert opened[0]["metadata"] == {"version": "2.1.0"}
    assert [bytes(b) for b in opened[0]["buffers"]] == [b"\x01\x02\x03"]
    assert result.of_type("comm_msg")[0]["content"]["data"] == {"method": "update", "state": {"value": 7}}
    view = result.of_type("display_data")[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == comm_id

    kernel.kc.comm_info(target_name="jupyter.widget")
    assert kernel.kc.get_shell_msg(timeout=10)["content"]["comms"] == {comm_id: {"target_name": "jupyter.widget"}}
    answer = request_states(kernel, "ctl-2")["data"]
    model = answer["states"][comm_id]
    assert (model["model_name"], model["model_module"], model["model_module_version"]) == (
        "IntSliderModel", "@jupyter-widgets/controls", "2.0.0")
    assert model["state"]["value"] == 7

    closing = kernel.run("slider.close()")
    assert closing.of_type("comm_close")[0]["content"]["comm_id"] == comm_id
    kernel.kc.comm_info(target_name="jupyter.widget")
    assert kernel.kc.get_shell_msg(timeout=10)["content"]["comms"] == {}


def test_a_failed_cell_takes_its_widgets_and_their_changes_with_it(kernel):
    """Issue 14: the executor rolls a trapping cell back, so the kernel closes
    the comms it opened and sends the earlier state of widgets it changed."""
    state = '["_model_name": "IntSliderModel", "_model_module": "@jupyter-widgets/controls", "_model_module_version": "2.0.0", "value": 1]'
    kept = kernel.run(f'let kept = Comm.open(target: "jupyter.widget", data: ["state": {state}])\nkept.id')
    kept_id = kept.result.strip('"')
    failed = kernel.run(
        'kept.send(["method": "update", "state": ["value": 5]])\n'
        f'let lost = Comm.open(target: "jupyter.widget", data: ["state": {state}])\n'
        'fatalError("on purpose")')
    assert failed.status == "error"
    lost_id = failed.of_type("comm_open")[0]["content"]["comm_id"]
    assert [m["content"]["comm_id"] for m in failed.of_type("comm_close")] == [lost_id]
    restored = [m["content"] for m in failed.of_type("comm_msg") if m["content"]["comm_id"] == kept_id]
    assert restored[-1]["data"]["state"]["value"] == 1
    kernel.kc.comm_info(target_name="jupyter.widget")
    comms = kernel.kc.get_shell_msg(timeout=10)["content"]["comms"]
    assert kept_id in comms and lost_id not in comms
    assert kernel.run("kept.close()").status == "ok"


def test_the_execute_reply_says_where_a_cells_time_went(kernel):
    msg_id = kernel.kc.execute("let timed = 1")
    reply = kernel.kc.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=120)
    timings = reply["metadata"]["timings"]
    assert set(timings) == {"rewrite", "compile", "link", "fork", "run"}
    assert all(value >= 0 for value in timings.values())
    assert timings["compile"] > timings["rewrite"]  # swift-frontend is the largest part of a cell
