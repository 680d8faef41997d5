// Queues a txt2img task from the real page with agent-scheduler's Enqueue button, the Clip skip accordion on at a value.
// Run by tests/integration/test_queues.py:  node enqueue.mjs URL SCREENSHOT_DIR INFOTEXT CLIP_SKIP
// INFOTEXT (prompt, steps, sampler, seed, size; no Clip skip) is pasted into the prompt box and applied with the
// paste button, so the task has the same parameters as the test's API request; then the accordion is ticked and set
// to CLIP_SKIP by hand, and Enqueue is clicked. Prints "task: ID" once agent-scheduler lists the new task (closing
// the page earlier can drop the click's request); the test follows the task through agent-scheduler's API.
// Exits non-zero with the failed check on stderr; prints one line per check passed.
import assert from 'node:assert/strict';
import path from 'node:path';
import {TIMEOUT, launchChromium} from './webui_page.mjs';

const [url, shots, infotext, clipSkip] = process.argv.slice(2);

const accordion = '#script_txt2img_clip_skip_clip_skip';
const header = `${accordion} .clip-skip-effective`;
// agent-scheduler a3375332 scripts/task_scheduler.py:Script.add_enqueue_button; its script sets the label to
// "Queued" for a second once the task is sent (javascript/agent-scheduler.iife.js, submit_enqueue).
const ENQUEUE = '#txt2img_enqueue';

async function headerIs(page, text) {
    await page.waitForFunction(
        ([selector, expected]) => document.querySelector(selector)?.textContent === expected,
        [header, text], {timeout: TIMEOUT},
    ).catch(async () => {
        const actual = await page.locator(header).textContent().catch(() => '(no header)');
        assert.fail(`txt2img header: expected "${text}", got "${actual}"`);
    });
    console.log(`ok: txt2img header says "Clip skip ${text}"`);
}

const SCHEDULER = `${url}/agent-scheduler/v1`;

/** Every task agent-scheduler knows: the queue (with the running one) and the history. */
async function taskIds() {
    const queue = await (await fetch(`${SCHEDULER}/queue?limit=1000`)).json();
    const history = await (await fetch(`${SCHEDULER}/history?limit=1000`)).json();
    return new Set([...queue.pending_tasks, ...history.tasks].map((task) => task.id));
}

async function enqueue(page) {
    await page.locator('#txt2img_prompt textarea').fill(infotext);
    await page.locator('#tab_txt2img #paste').first().click();
    // The paste fills the fields from the text and leaves the bare prompt in the box.
    await page.waitForFunction(
        (prompt) => document.querySelector('#txt2img_prompt textarea')?.value === prompt,
        infotext.split('\n')[0], {timeout: TIMEOUT},
    );
    assert.equal(await page.locator('#txt2img_seed input[type=number]').inputValue(), /Seed: (\d+)/.exec(infotext)[1], 'pasted seed');
    console.log('ok: the generation parameters were pasted');

    // As a user does it: tick the accordion, open it, type the value.
    await page.locator(`${accordion}-visible-checkbox`).check();
    const value = page.locator(`${accordion}_value`);
    if (!(await value.isVisible())) await page.locator(`${accordion} .label-wrap`).click();
    await value.waitFor({state: 'visible', timeout: TIMEOUT});
    const number = value.locator('input[type=number]');
    await number.fill(clipSkip);
    await number.press('Enter');
    await number.blur();
    await headerIs(page, `${clipSkip} (this generation)`);
    await page.locator(accordion).screenshot({path: path.join(shots, 'enqueue-accordion.png')});

    const before = await taskIds();
    await page.locator(ENQUEUE).click();
    await page.waitForFunction((selector) => document.querySelector(selector)?.innerText === 'Queued', ENQUEUE, {timeout: TIMEOUT})
        .catch(() => assert.fail('the Enqueue button never said "Queued"'));
    console.log('ok: Enqueue was clicked and said "Queued"');
    for (let tries = 0; tries < 120; tries++) {
        const added = [...await taskIds()].filter((id) => !before.has(id));
        if (added.length) {
            assert.equal(added.length, 1, `more than one new task: ${added}`);
            console.log(`task: ${added[0]}`);
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.fail('agent-scheduler listed no new task within 120 s of the click');
}

const browser = await launchChromium();
try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    await page.goto(url, {timeout: TIMEOUT});
    await page.waitForSelector(header, {state: 'attached', timeout: TIMEOUT});
    await page.waitForSelector(ENQUEUE, {state: 'visible', timeout: TIMEOUT});
    await enqueue(page);
} finally {
    await browser.close();
}
