"""The tutorials in a real browser: JupyterLab with the "Swift (DDPM)"
kernel and the widget extension, Debian's chromium headless. What a teacher
does: open a tutorial, run all cells, look at the pictures, watch training,
stop a runaway cell, drag a slider. Screenshots go to out/browser/."""

import re
import time

from conftest import SHOTS

# The notebook in front (other tabs stay in the page, hidden).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"

# True once every code cell shows an execution count ("[3]:"), none "[*]:".
ALL_CELLS_RAN = f"""() => {{
    const prompts = [...document.querySelectorAll('{NOTEBOOK} .jp-CodeCell .jp-InputArea-prompt')]
        .map(e => e.textContent);
    return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
}}"""

IMAGES = f"""() => [...document.querySelectorAll('{NOTEBOOK} .jp-OutputArea-output img')].map(e => ({{
    complete: e.complete, width: e.naturalWidth, kind: e.src.slice(0, 15)}}))"""


def open_notebook(page, lab, name):
    # `reset`: a fresh workspace, with only this notebook open.
    page.goto(f"{lab['url']}/lab/tree/{name}?reset&token={lab['token']}")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=120_000)
    page.wait_for_selector("text=Swift (DDPM) | Idle", timeout=120_000)


def run_all(page, timeout=600):
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    page.wait_for_function(ALL_CELLS_RAN, timeout=timeout * 1000, polling=500)


def errors_shown(page):
    return page.locator(f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()


def run_new_cell(page, code):
    """Adds a cell at the end, types `code` and runs it (Shift-Enter)."""
    page.locator(f"{NOTEBOOK} .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below, in command mode
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(code)
    cells = page.locator(f"{NOTEBOOK} .jp-CodeCell")
    cell = cells.nth(cells.count() - 1)  # Shift-Enter on the last cell adds another below
    page.keyboard.press("Shift+Enter")
    return cell


def test_notebook_02_renders_its_pictures_and_the_panel_follows_the_beta_slider(page, lab):
    open_notebook(page, lab, "02-noise-schedules.ipynb")
    run_all(page)
    page.screenshot(path=str(SHOTS / "02-after-run-all.png"), full_page=True)
    assert errors_shown(page) == []
    images = page.evaluate(IMAGES)
    assert all(image["complete"] and image["width"] > 0 for image in images), images
    assert sum(image["kind"].startswith("data:image/png") for image in images) >= 3
    assert sum(image["kind"].startswith("data:image/gif") for image in images) == 1

    # The exercise's panel: a schedule drop-down, three sliders and the picture.
    panel = page.locator(f"{NOTEBOOK} .widget-vbox").last
    panel.scroll_into_view_if_needed()
    assert panel.locator(".widget-dropdown select").input_value() is not None
    assert panel.locator(".widget-dropdown option").all_inner_texts()[3] == "sigmoid"
    picture = panel.locator("img.widget-image")
    picture.wait_for(timeout=30_000)
    assert page.evaluate("e => e.naturalWidth", picture.element_handle()) > 0
    before = picture.get_attribute("src")
    slider = panel.locator(".widget-slider", has_text="β_T")
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text()
    panel.screenshot(path=str(SHOTS / "02-panel-before-drag.png"))

    handle = slider.locator(".noUi-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for dx in range(10, 130, 10):  # a real drag: intermediate positions, some of them redrawn
        page.mouse.move(x + dx, y)
        time.sleep(0.05)
    page.mouse.up()
    page.wait_for_function("([e, src]) => e.src !== src", arg=[picture.element_handle(), before], timeout=30_000)
    page.wait_for_selector("text=Swift (DDPM) | Idle", timeout=60_000)
    time.sleep(0.5)
    panel.screenshot(path=str(SHOTS / "02-panel-after-drag.png"))
    value_after = readout.inner_text()
    assert float(value_after) > float(value_before), (value_before, value_after)
    assert page.evaluate("e => e.naturalWidth", picture.element_handle()) > 0
    assert panel.locator(".jp-OutputArea-output").count() == 0  # no error under the panel

    # A function that traps: its print and the error show under its panel, and the
    # slider goes back to the last value the notebook holds.
    run_new_cell(page, 'let k = IntSlider("k", 0...10, value: 0)\n'
                       'let risky = interact(k) { k -> String in\n'
                       '    if k == 10 { print("about to fail"); fatalError("k reached 10") }\n'
                       '    return "k = \\(k)"\n}\nrisky')
    risky = page.locator(f"{NOTEBOOK} .widget-vbox").last
    risky.locator(".jp-OutputArea-output", has_text="k = 0").wait_for(timeout=60_000)
    handle = risky.locator(".noUi-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=3)
    time.sleep(1)  # the kernel redraws "k = …" for the middle of the range
    page.mouse.move(x + 400, y, steps=3)  # past the end: k = 10
    page.mouse.up()
    risky.locator(".jp-OutputArea-output", has_text="k reached 10").wait_for(timeout=60_000)
    page.wait_for_selector("text=Swift (DDPM) | Idle", timeout=60_000)
    time.sleep(0.5)
    shown = risky.locator(".jp-OutputArea").inner_text()
    assert "about to fail" in shown and "rolled back" in shown, shown
    assert risky.locator(".widget-readout").inner_text() != "10"
    risky.screenshot(path=str(SHOTS / "02-trap-in-a-callback.png"))

    # The interrupt button stops a runaway cell; the notebook keeps its state.
    runaway = run_new_cell(page, "while true {}")
    page.wait_for_selector("text=Swift (DDPM) | Busy", timeout=60_000)
    time.sleep(1)
    page.locator('.jp-NotebookPanel-toolbar [data-jp-item-name="interrupt"] [data-command="notebook:interrupt-kernel"]').first.click()
    page.wait_for_selector("text=Swift (DDPM) | Idle", timeout=60_000)
    assert "Interrupted" in runaway.locator(".jp-OutputArea").inner_text()
    after = run_new_cell(page, "print(T, schedules.count, k.value)")
    page.wait_for_function("e => /\\[\\d+\\]/.test(e.textContent)", arg=after.locator(".jp-InputArea-prompt").element_handle(),
                           timeout=60_000)
    page.wait_for_selector("text=Swift (DDPM) | Idle", timeout=60_000)
    assert after.locator(".jp-OutputArea").inner_text().strip() == f"1000 3 {risky.locator('.widget-readout').inner_text()}"
    page.screenshot(path=str(SHOTS / "02-interrupt.png"), full_page=True)


def test_notebook_03_shows_training_progress_in_place(page, lab):
    open_notebook(page, lab, "03-training.ipynb")
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    training = page.locator(f"{NOTEBOOK} .jp-CodeCell", has_text="let history = train(epochs:")
    training.scroll_into_view_if_needed()
    # While it trains: one output, replaced again and again (not a pile of them).
    seen = set()
    deadline = time.time() + 300
    def finished():
        return re.search(r"\[\d+\]", training.locator(".jp-InputArea-prompt").inner_text())

    while time.time() < deadline and not finished():
        outputs = training.locator(".jp-OutputArea-child")
        count = outputs.count()
        if count > 1 and finished():  # the cell ended between the two reads: its result is the second output
            break
        assert count <= 1, f"{count} outputs while training"
        if outputs.count() == 1:
            seen.add(outputs.first.inner_text()[:200])
            if len(seen) == 2:
                training.screenshot(path=str(SHOTS / "03-training-progress.png"))
        time.sleep(0.3)
    assert len(seen) >= 3, f"the progress output changed {len(seen)} times"
    page.wait_for_function(ALL_CELLS_RAN, timeout=300_000, polling=500)
    assert errors_shown(page) == []
    # At the end: the finished progress display and the history.
    assert training.locator(".jp-OutputArea-child").count() == 2
    training.screenshot(path=str(SHOTS / "03-training-done.png"))
    images = page.evaluate(IMAGES)
    assert images and all(image["complete"] and image["width"] > 0 for image in images), images
    assert any(image["kind"].startswith("data:image/gif") for image in images)
    page.screenshot(path=str(SHOTS / "03-after-run-all.png"), full_page=True)


def test_tab_lists_members_with_types_and_shift_tab_shows_the_doc_comment(page, lab):
    open_notebook(page, lab, "00-kernel-tour.ipynb")
    page.locator(f"{NOTEBOOK} .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type("NoiseSchedule(.sigmoid, steps: 100).alph")
    # The kernel's language server starts after its warm-up compile; until then Tab
    # offers the kernel's word list, so ask again until the typed members come.
    completer = page.locator(".jp-Completer")
    deadline = time.time() + 90
    while True:
        page.keyboard.press("Tab")
        try:
            completer.locator(".jp-Completer-item", has_text="alphaBars").first.wait_for(timeout=3_000)
            break
        except Exception:
            page.keyboard.press("Escape")
            page.keyboard.press("Enter")  # back into the editor, at the end of the line
            page.keyboard.press("End")
            assert time.time() < deadline, "Tab never listed the schedule's members"
    items = completer.locator(".jp-Completer-item").all_inner_texts()
    assert any("alphaBars" in item and "tensor" in item.lower() for item in items), items  # its type beside it
    assert any("alphaBarsPrevious" in item for item in items)
    completer.screenshot(path=str(SHOTS / "00-tab-completion.png"))
    page.keyboard.press("Escape")

    # Shift-Tab inside an unfinished call: the declaration and the formula it implements.
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("let s = NoiseSchedule(.sigmoid, steps: 100)")
    page.keyboard.press("Enter")
    page.keyboard.type("s.qSample(")
    page.keyboard.press("Shift+Tab")
    tooltip = page.locator(".jp-Tooltip")
    tooltip.wait_for(timeout=30_000)
    text = tooltip.inner_text()
    assert "qSample" in text and "q(x_t | x_0)" in text, text
    tooltip.screenshot(path=str(SHOTS / "00-shift-tab.png"))
