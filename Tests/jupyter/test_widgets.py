"""Jupyter widgets through a real client (jupyter_client), speaking as
JupyterLab's widget manager does (ipywidgets 8, protocol 2.1.0; see
../shared/reference/widgets-completion.md, part A): comms opened by cells,
updates from the page delivered to the notebook's callbacks, the control
comm's request_states, binary buffers, a callback that traps, and events
that arrive while a cell runs."""

import queue
import time

from test_scenarios import request_states, send_shell


def answer_to(kernel, request, timeout=60):
    """Every iopub message whose parent is `request`, up to its idle status."""
    messages = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            message = kernel.kc.get_iopub_msg(timeout=0.1)
        except queue.Empty:
            continue
        if message["parent_header"].get("msg_id") != request["header"]["msg_id"]:
            continue
        if message["msg_type"] == "status":
            if message["content"]["execution_state"] == "idle":
                return messages
            continue
        messages.append(message)
    raise TimeoutError(f"no idle after {request['msg_type']}")


def page_update(kernel, comm_id, state):
    """What the page sends when the user moves a control, and what it gets back."""
    request = send_shell(kernel, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state,
                                                                           "buffer_paths": []}})
    return answer_to(kernel, request)


def opened(result, model):
    return [m["content"] for m in result.of_type("comm_open") if m["content"]["data"]["state"]["_model_name"] == model]


def test_a_slider_with_an_observer_runs_it_where_the_notebook_state_lives(kernel):
    result = kernel.run('var seen: [Int] = []\nlet t = IntSlider("t", 0...10, value: 3)\n'
                        't.observe { value in seen.append(value); print("t =", value) }\nt')
    assert result.status == "ok"
    [slider] = opened(result, "IntSliderModel")
    assert slider["target_name"] == "jupyter.widget"
    [view] = [m["content"]["data"] for m in result.of_type("execute_result")]
    assert view["application/vnd.jupyter.widget-view+json"] == {
        "model_id": slider["comm_id"], "version_major": 2, "version_minor": 0}
    assert view["text/plain"] == "IntSlider(t = 3, 0...10)"
    comm_open = [m for m in result.of_type("comm_open") if m["content"]["comm_id"] == slider["comm_id"]][0]
    assert comm_open["metadata"] == {"version": "2.1.0"}

    answer = page_update(kernel, slider["comm_id"], {"value": 5})
    assert [m["content"]["text"] for m in answer if m["msg_type"] == "stream"] == ["t = 5\n"]
    page_update(kernel, slider["comm_id"], {"value": 7})
    assert kernel.run("seen").result == "[5, 7]"  # the callbacks changed the notebook's variables
    assert kernel.run("t.value").result == "7"

    info = kernel.kc.comm_info(target_name="jupyter.widget", reply=True)["content"]
    assert info["comms"][slider["comm_id"]] == {"target_name": "jupyter.widget"}


def test_a_callback_that_traps_rolls_back_and_says_so(kernel):
    result = kernel.run('var total = 0\nlet k = IntSlider("k", 0...10, value: 1)\n'
                        'k.observe { value in total += value; precondition(value != 9, "k must not be 9") }\nk')
    [slider] = opened(result, "IntSliderModel")
    page_update(kernel, slider["comm_id"], {"value": 4})
    answer = page_update(kernel, slider["comm_id"], {"value": 9})
    [error] = [m["content"] for m in answer if m["msg_type"] == "error"]
    assert "k must not be 9" in error["evalue"]
    assert "rolled back" in error["traceback"][-1]
    # The page is told to put the slider back where the notebook still has it.
    [restore] = [m["content"]["data"] for m in answer if m["msg_type"] == "comm_msg"]
    assert restore == {"method": "update", "state": {"value": 4}, "buffer_paths": []}
    assert kernel.run("total").result == "4"
    assert kernel.run("k.value").result == "4"


def test_interact_redraws_its_picture_as_a_binary_buffer_and_captures_prints_and_errors(kernel):
    result = kernel.run(
        'struct TooManySteps: Error {}\n'
        'let steps = IntSlider("T", 10...100, step: 10, value: 20)\n'
        'let panel = interact(steps) { steps -> Figure in\n'
        '    if steps == 100 { fatalError("too many steps") }\n'
        '    if steps == 90 { print("almost") }\n'
        '    if steps == 80 { throw TooManySteps() }\n'
        '    let schedule = NoiseSchedule(.linear, steps: steps)\n'
        '    let figure = Figure(width: 3, height: 2, dpi: 50)\n'
        '    figure[0, 0].plot(schedule.alphaBars)\n'
        '    return figure\n'
        '}\npanel')
    assert result.status == "ok"
    [slider] = opened(result, "IntSliderModel")
    [image] = opened(result, "ImageModel")
    [output] = opened(result, "OutputModel")
    first = [m for m in result.of_type("comm_open") if m["content"]["comm_id"] == image["comm_id"]][0]
    assert first["content"]["data"]["buffer_paths"] == [["value"]]
    assert first["buffers"][0][:8] == b"\x89PNG\r\n\x1a\n"

    answer = page_update(kernel, slider["comm_id"], {"value": 50})
    pictures = [m for m in answer if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == image["comm_id"]]
    assert len(pictures) == 1 and pictures[0]["content"]["data"]["buffer_paths"] == [["value"]]
    new_png = pictures[0]["buffers"][0]
    assert new_png[:8] == b"\x89PNG\r\n\x1a\n" and new_png != first["buffers"][0]
    captures = [m["content"]["data"]["state"]["msg_id"] for m in answer
                if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == output["comm_id"]]
    # The Output captures by the page's message while the function runs, then lets go.
    request_id = answer[0]["parent_header"]["msg_id"]
    assert captures == [request_id, ""]

    answer = page_update(kernel, slider["comm_id"], {"value": 90})
    [printed] = [m for m in answer if m["msg_type"] == "stream"]
    assert printed["content"]["text"] == "almost\n"  # parent: the page's message, which the Output captures

    # A thrown error is shown (on stderr, under the panel) and changes nothing else.
    answer = page_update(kernel, slider["comm_id"], {"value": 80})
    [thrown] = [m["content"] for m in answer if m["msg_type"] == "stream"]
    assert thrown["name"] == "stderr" and thrown["text"].startswith("TooManySteps")
    assert not [m for m in answer if m["msg_type"] == "error"]

    answer = page_update(kernel, slider["comm_id"], {"value": 100})
    types = [m["msg_type"] for m in answer]
    assert "error" in types
    error = answer[types.index("error")]
    assert "too many steps" in error["content"]["evalue"]
    # The error goes out while the Output still captures, then the capture and the slider are rolled back.
    restores = [m["content"] for m in answer[types.index("error"):] if m["msg_type"] == "comm_msg"]
    assert {"comm_id": output["comm_id"], "data": {"method": "update", "state": {"msg_id": ""}, "buffer_paths": []}} \
        in restores
    # (A thrown error was handled: 80 is the value the notebook holds.)
    assert {"comm_id": slider["comm_id"], "data": {"method": "update", "state": {"value": 80}, "buffer_paths": []}} \
        in restores
    assert kernel.run("steps.value").result == "80"


def test_request_states_returns_every_widget_with_its_buffers(kernel):
    result = kernel.run('let picture = Image(png: [137, 80, 78, 71, 1, 2])\nlet box = VBox([picture, Label("hi")])\nbox')
    [image] = opened(result, "ImageModel")
    [box] = opened(result, "VBoxModel")
    [label] = opened(result, "LabelModel")
    answer = request_states(kernel, "control-widgets")
    states = answer["data"]["states"]
    assert states[box["comm_id"]]["model_name"] == "VBoxModel"
    assert states[box["comm_id"]]["state"]["children"] == [
        "IPY_MODEL_" + image["comm_id"], "IPY_MODEL_" + label["comm_id"]]
    assert states[label["comm_id"]]["state"]["value"] == "hi"
    assert [image["comm_id"], "state", "value"] in answer["data"]["buffer_paths"]

    # One model's state, as the page asks after a reload when the control comm is missing.
    request = send_shell(kernel, "comm_msg", {"comm_id": image["comm_id"], "data": {"method": "request_state"}})
    [reply] = [m for m in answer_to(kernel, request) if m["msg_type"] == "comm_msg"]
    assert reply["content"]["data"]["buffer_paths"] == [["value"]]
    assert reply["buffers"][0] == bytes([137, 80, 78, 71, 1, 2])


def test_a_button_click_runs_its_handler(kernel):
    result = kernel.run('var clicks = 0\nlet button = Button("resample")\nbutton.onClick { _ in clicks += 1 }\nbutton')
    [button] = opened(result, "ButtonModel")
    for _ in range(2):
        request = send_shell(kernel, "comm_msg", {"comm_id": button["comm_id"],
                                                  "data": {"method": "custom", "content": {"event": "click"}}})
        answer_to(kernel, request)
    assert kernel.run("clicks").result == "2"


def test_events_sent_while_a_cell_runs_are_handled_after_it(kernel):
    result = kernel.run('var log: [String] = []\nlet s = IntSlider("s", 0...10)\n'
                        's.observe { value in log.append("slider \\(value)") }\ns')
    [slider] = opened(result, "IntSliderModel")
    running = kernel.kc.execute('for i in 0..<3 { log.append("cell \\(i)"); usleep(300_000) }')
    time.sleep(0.3)  # the cell is running
    update = send_shell(kernel, "comm_msg", {"comm_id": slider["comm_id"],
                                             "data": {"method": "update", "state": {"value": 6}, "buffer_paths": []}})
    answer_to(kernel, update)
    assert kernel.kc.get_shell_msg(timeout=60)["parent_header"]["msg_id"] == running
    assert kernel.run("log").result == '["cell 0", "cell 1", "cell 2", "slider 6"]'


def test_a_failed_cell_takes_its_widgets_with_it(kernel):
    result = kernel.run('let doomed = Checkbox("doomed")\ndisplay(doomed)\nfatalError("stop")')
    assert result.status == "error"
    [checkbox] = opened(result, "CheckboxModel")
    closed = [m["content"]["comm_id"] for m in result.of_type("comm_close")]
    assert checkbox["comm_id"] in closed
    info = kernel.kc.comm_info(target_name="jupyter.widget", reply=True)["content"]
    assert checkbox["comm_id"] not in info["comms"]


def test_widgets_go_with_an_executor_killed_from_outside():
    import os
    import signal

    from conftest import Session

    session = Session()
    try:
        result = session.run('let gone = IntSlider("gone", 0...3)\ngone')
        [slider] = opened(result, "IntSliderModel")
        pid = int(session.run("import Glibc\ngetpid()").result)  # the state holder now
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        after = session.run("1 + 1")
        assert "state was reset" in after.stream("stderr")
        # The page's views of the dead widgets are told their models are gone.
        assert slider["comm_id"] in [m["content"]["comm_id"] for m in after.of_type("comm_close")]
        assert request_states(session, "control-after-kill")["data"]["states"] == {}
        # A late update for the dead slider is dropped without an error.
        assert [m for m in page_update(session, slider["comm_id"], {"value": 2}) if m["msg_type"] == "error"] == []
    finally:
        session.close()
