// Opens a running WebUI in headless Chromium and checks the Clip skip accordion as a user sees it.
// Run by tests/integration/test_browser.py:  node check_page.mjs SCENARIO URL SCREENSHOT_DIR METADATA_CHECKPOINT OTHER_CHECKPOINT
// SCENARIO: "page" (header, global slider, paste, Auto), "save" (save 3 for the metadata checkpoint),
// "after-restart" (the other checkpoint shows its own value; the saved 3 is still there),
// "exact" (a pasted blend and a pasted schedule restore the box, and the images made from them record them),
// "settings" (with Clip skip in the Settings tab, not the quicksettings: the header follows Apply settings).
// Exits non-zero with the failed check on stderr; prints one line per check passed.
import assert from 'node:assert/strict';
import path from 'node:path';
import {
    TIMEOUT, accordion, chooseCheckpoint, header, launchChromium, options, untilOptions,
} from './webui_page.mjs';

const [scenario, url, shots, metadataCheckpoint, otherCheckpoint] = process.argv.slice(2);


async function headerIs(page, tab, text) {
    await page.waitForFunction(
        ([selector, expected]) => document.querySelector(selector)?.textContent === expected,
        [header(tab), text], {timeout: TIMEOUT},
    ).catch(async () => {
        const actual = await page.locator(header(tab)).textContent().catch(() => '(no header)');
        assert.fail(`${tab} header: expected "${text}", got "${actual}"`);
    });
    console.log(`ok: ${tab} header says "Clip skip ${text}"`);
}

/** The global slider that applies at once: A1111's quicksetting, or Forge's top bar (no elem_id). */
async function globalSlider(page) {
    const quick = page.locator('#quicksettings #setting_CLIP_stop_at_last_layers input[type=number]');
    if (await quick.count()) return quick;
    // lllyasviel Forge's top-bar slider, ersatzForge's top-bar number box: neither has an elem_id.
    const id = await page.evaluate(() => window.gradio_config.components.find(
        (c) => ['slider', 'number'].includes(c.type) && c.props?.label === 'Clip skip' && !c.props?.elem_id)?.id);
    assert.ok(id, 'no global Clip skip control in the quicksettings or the top bar');
    return page.locator(`#component-${id} input[type=number]`);
}

async function setNumber(input, value) {
    await input.fill(String(value));
    await input.press('Enter');
    await input.blur();
}

async function shot(locator, name) {
    await locator.screenshot({path: path.join(shots, name)});
    console.log(`screenshot: ${name}`);
}

/** The global Clip skip the page starts with: the host's default on a fresh install (1, or Forge Neo's 2). */
async function globalValue() {
    return Number((await options(url)).CLIP_stop_at_last_layers);
}

/** The WebUI saved the global value: quick successive changes otherwise race in the host. */
async function globalSaved(value) {
    await untilOptions(url, (held) => Number(held.CLIP_stop_at_last_layers) === value,
        `the WebUI did not save the global Clip skip ${value}`);
}

/** No notice under either header: the model says nothing against the value, or no model is loaded yet
 *  (Forge Neo loads its checkpoint at the first generation). */
async function noNotice(page) {
    await page.waitForTimeout(1000); // the header's status request has been answered
    for (const tab of ['txt2img', 'img2img']) {
        const notice = page.locator(`${accordion(tab)} .clip-skip-notice`);
        const text = (await notice.isVisible()) ? await notice.textContent() : '';
        assert.equal(text, '', `${tab}: a notice before any generation`);
    }
    console.log(`ok: no notice before the first generation (the page's status: family "${statuses.at(-1)?.family}")`);
}

async function checkPage(page) {
    const initial = await globalValue();
    for (const tab of ['txt2img', 'img2img']) {
        const label = await page.locator(`${accordion(tab)} .label-wrap span`).first().textContent();
        assert.match(label, /Clip skip/, `${tab} accordion label`);
        await headerIs(page, tab, `${initial} (global)`);
    }
    await noNotice(page);

    const slider = await globalSlider(page);
    const other = initial === 2 ? 3 : 2;
    await setNumber(slider, other);
    await headerIs(page, 'txt2img', `${other} (global)`);
    await headerIs(page, 'img2img', `${other} (global)`);
    await globalSaved(other);
    await setNumber(slider, initial);
    await headerIs(page, 'txt2img', `${initial} (global)`);
    await globalSaved(initial);

    // SD.Next's key since f67562b91; the WebUI fills in "Clip skip: 1" for the missing key.
    await page.locator('#txt2img_prompt textarea').fill('a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 512x512, CLiP-skip: 5');
    await page.locator('#tab_txt2img #paste').first().click();
    await headerIs(page, 'txt2img', '5 (this generation)');
    assert.equal(await page.locator(`${accordion('txt2img')}_value input[type=number]`).inputValue(), '5', 'SD.Next paste set the slider');
    console.log('ok: pasting SD.Next\'s "CLiP-skip: 5" turned the accordion on at 5');

    await page.locator('#txt2img_prompt textarea').fill('a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 512x512, Clip skip: 3');
    await page.locator('#tab_txt2img #paste').first().click();
    await headerIs(page, 'txt2img', '3 (this generation)');
    assert.equal(await page.locator(`${accordion('txt2img')}-checkbox input`).isChecked(), true, 'paste turned the accordion on');
    assert.equal(await page.locator(`${accordion('txt2img')}_value input[type=number]`).inputValue(), '3', 'paste set the slider');
    console.log('ok: pasting "Clip skip: 3" turned the accordion on at 3');
    await openAccordion(page);
    await shot(page.locator(accordion('txt2img')), 'accordion-this-generation.png');

    await page.locator(`${accordion('txt2img')}_auto input[type=checkbox]`).check();
    await chooseCheckpoint(page, url, metadataCheckpoint);
    await headerIs(page, 'txt2img', '2 (auto · from model metadata (ss_clip_skip))');
    await shot(page.locator(accordion('txt2img')), 'accordion-auto.png');
}

async function openAccordion(page) {
    const valueSlider = page.locator(`${accordion('txt2img')}_value`);
    if (!(await valueSlider.isVisible())) await page.locator(`${accordion('txt2img')} .label-wrap`).click();
    await valueSlider.waitFor({state: 'visible', timeout: TIMEOUT});
}

async function turnOnAuto(page) {
    await page.locator(`${accordion('txt2img')}-visible-checkbox`).check();
    await openAccordion(page);
    await page.locator(`${accordion('txt2img')}_auto input[type=checkbox]`).check();
}

async function saveDefault(page) {
    await chooseCheckpoint(page, url, metadataCheckpoint);
    await turnOnAuto(page);
    await headerIs(page, 'txt2img', '2 (auto · from model metadata (ss_clip_skip))');
    await setNumber(page.locator(`${accordion('txt2img')}_value input[type=number]`), 3);
    await page.locator(`${accordion('txt2img')}_save`).click();
    const status = page.locator(`${accordion('txt2img')}_model_status`);
    await status.filter({hasText: 'Saved Clip skip 3'}).first().waitFor({timeout: TIMEOUT}).catch(async () => {
        const actual = await status.first().textContent().catch(() => '(no status line)');
        assert.fail(`Save: expected "Saved Clip skip 3 …", got "${String(actual ?? "").trim()}"`);
    });
    await headerIs(page, 'txt2img', `3 (auto · saved for ${metadataCheckpoint})`);
}

/** After a restart each checkpoint shows its own value: the saved 3, and the global value for the other.
 *  A1111 starts on its --ckpt checkpoint, Forge and Forge Neo on the last one chosen; one switch either way. The
 *  server says which (Forge Neo's dropdown is not the first the selector finds). */
async function afterRestart(page) {
    const selected = String((await options(url)).sd_model_checkpoint);
    const saved = `3 (auto · saved for ${metadataCheckpoint})`;
    const other = `${await globalValue()} (auto · global setting)`;
    await turnOnAuto(page);
    if (selected.startsWith(`${metadataCheckpoint}.safetensors`)) {
        await headerIs(page, 'txt2img', saved);
        await chooseCheckpoint(page, url, otherCheckpoint);
        await headerIs(page, 'txt2img', other);
    } else {
        await headerIs(page, 'txt2img', other);
        await chooseCheckpoint(page, url, metadataCheckpoint);
        await headerIs(page, 'txt2img', saved);
    }
}

async function pasteInfotext(page, parameters) {
    await page.locator('#txt2img_prompt textarea').fill(`a cat\n${parameters}`);
    await page.locator('#tab_txt2img #paste').first().click();
}

async function scheduleBoxIs(page, text) {
    const box = page.locator(`${accordion('txt2img')}_schedule textarea, ${accordion('txt2img')}_schedule input`).first();
    await page.waitForFunction(([element, expected]) => element.value === expected, [await box.elementHandle(), text],
        {timeout: TIMEOUT}).catch(async () => assert.fail(`exact box: expected "${text}", got "${await box.inputValue()}"`));
}

/** Generate in the page, wait for the parameters line under the image (its last line starting "Steps:": Forge Neo
 *  keeps a pasted text in the prompt box, so the prompt may hold another) to hold `expected`, and for the page to
 *  ask the status again once the generation ended: the header then follows the model the generation loaded. */
async function generateAndRead(page, expected) {
    const info = page.locator('#html_info_txt2img').first(); // gradio 3 gives its wrapper the same id
    const parametersLine = () => info.evaluate((element) =>
        element.innerText.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('Steps:')).at(-1) ?? '');
    const before = await info.textContent();
    const asked = statuses.length;
    await page.locator('#txt2img_generate').click();
    await page.waitForFunction(([element, old, wanted]) => {
        const lines = element.innerText.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('Steps:'));
        return element.textContent !== old && (lines.at(-1) ?? '').includes(wanted);
    }, [await info.elementHandle(), before, expected], {timeout: 300_000}).catch(async () =>
        assert.fail(`infotext: expected "${expected}" in the parameters line, got "${await parametersLine()}"`));
    console.log(`ok: the image's infotext has ${expected}`);
    for (let tries = 0; statuses.length === asked || statuses.at(-1).family === 'no model loaded'; tries++) {
        assert.ok(tries < 100, `the page did not ask for the status after the generation (last: ${JSON.stringify(statuses.at(-1))})`);
        await page.waitForTimeout(100);
    }
    console.log(`ok: after the generation the header follows the loaded model (family "${statuses.at(-1).family}")`);
}

async function exactValues(page) {
    const small = 'Steps: 2, Sampler: Euler, Seed: 1234, Size: 64x64';
    await pasteInfotext(page, `${small}, Clip skip: 2, Clip skip blend: 1.5`);
    await headerIs(page, 'txt2img', '1.5 (this generation)');
    await scheduleBoxIs(page, '1.5');
    assert.equal(await page.locator(`${accordion('txt2img')}_value input[type=number]`).inputValue(), '2', 'the slider holds the whole value');
    console.log('ok: pasting "Clip skip blend: 1.5" put 1.5 in the box and 2 on the slider');
    await openAccordion(page);
    await shot(page.locator(accordion('txt2img')), 'accordion-blend.png');
    await generateAndRead(page, 'Clip skip: 2, Clip skip blend: 1.5');

    await pasteInfotext(page, `${small}, Clip skip: 2, Clip skip schedule: "[2:1:0.5]"`);
    await headerIs(page, 'txt2img', '[2:1:0.5] (this generation)');
    await scheduleBoxIs(page, '[2:1:0.5]');
    console.log('ok: pasting the schedule put [2:1:0.5] in the box');
    await generateAndRead(page, 'Clip skip: 2, Clip skip schedule: "[2:1:0.5]"');

    await pasteInfotext(page, `${small}, Clip skip: 3`);
    await headerIs(page, 'txt2img', '3 (this generation)');
    await scheduleBoxIs(page, '');
    console.log('ok: pasting a whole "Clip skip: 3" emptied the box');
}

/** Clip skip in the Settings tab (no quicksetting, as Forge Neo has no top-bar Clip skip): the header follows
 *  the value once Apply settings saved it, on both tabs. */
async function settingsTab(page) {
    const initial = await globalValue();
    const input = page.locator('#tab_settings #setting_CLIP_stop_at_last_layers input[type=number]');
    if (!(await input.count())) {
        console.log('skip: no Clip skip in the Settings tab');
        return;
    }
    await headerIs(page, 'txt2img', `${initial} (global)`);
    const other = initial === 4 ? 3 : 4;
    await page.locator('#tabs button').filter({hasText: /^\s*Settings\s*$/}).first().click();
    // The settings search shows the setting whichever section holds it (javascript/settings.js).
    await page.locator('#settings_search input, #settings_search textarea').first().fill('Clip skip');
    await input.waitFor({state: 'visible', timeout: TIMEOUT});
    await setNumber(input, other);
    await headerIs(page, 'txt2img', `${initial} (global)`); // not applied yet
    await page.locator('#settings_submit').click();
    await globalSaved(other);
    await headerIs(page, 'txt2img', `${other} (global)`);
    await headerIs(page, 'img2img', `${other} (global)`);
    console.log(`ok: Apply settings made the header say "${other} (global)"`);
    await setNumber(input, initial);
    await page.locator('#settings_submit').click();
    await globalSaved(initial);
    await headerIs(page, 'txt2img', `${initial} (global)`);
}

const SCENARIOS = {page: checkPage, save: saveDefault, 'after-restart': afterRestart, exact: exactValues, settings: settingsTab};
const statuses = []; // every status the header was told, in order

const browser = await launchChromium();
try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    page.on('requestfinished', async (request) => { // what the header was told, for a failure's story
        if (!request.url().includes('/clip-skip/v1/status')) return;
        const body = await request.response().then((response) => response.text()).catch(() => '(page closed)');
        console.log(`status: ${decodeURIComponent(request.url().split('?')[1] || '')} -> ${body}`);
        try {
            statuses.push(JSON.parse(body));
        } catch {
            // not JSON: the server is restarting or closed the page
        }
    });
    await page.goto(url, {timeout: TIMEOUT});
    await page.waitForSelector(header('txt2img'), {state: 'attached', timeout: TIMEOUT});
    await SCENARIOS[scenario](page);
} finally {
    await browser.close();
}
