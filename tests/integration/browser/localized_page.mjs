// The accordion on a WebUI with the zh_CN localization selected, in headless Chromium: what the page shows comes
// translated through the WebUI's own localization, and paste, generation and infotext work as in English.
// Run by tests/integration/test_localized_page.py:
//   node localized_page.mjs URL SCREENSHOT_DIR METADATA_CHECKPOINT SD2_CHECKPOINT LORA_NAME
// SD2_CHECKPOINT is "-" where the WebUI generates nothing with SD2 (Forge Neo has no SD2).
// Expected texts come from localizations/zh_CN.json; the pack's own "Clip skip" entry from its pinned commit.
// Exits non-zero with the failed check on stderr; prints one line per check passed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {TIMEOUT, accordion, chooseCheckpoint, header, launchChromium, options, untilOptions} from './webui_page.mjs';

const [url, shots, metadataCheckpoint, sd2Checkpoint, loraName] = process.argv.slice(2);
const REPOSITORY = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const OURS = JSON.parse(fs.readFileSync(path.join(REPOSITORY, 'localizations', 'zh_CN.json'), 'utf8'));
const PACK_LABEL = 'Clip 跳过层'; // dtlnor/stable-diffusion-webui-localization-zh_CN 6b693400: "Clip skip"

// The page's own translation path, with our file, for texts the server writes (notices).
globalThis.localization = OURS;
globalThis.getTranslation = (text) => OURS[text];
const {translateMessage} = createRequire(import.meta.url)(path.join(REPOSITORY, 'javascript', 'clip_skip.js'));
const zh = (key, args = {}) => OURS[key].replace(/\{(\w+)\}/g, (_, name) => String(args[name]));

const SMALL = 'Steps: 2, Sampler: Euler, Seed: 1234, Size: 64x64';

async function textIs(page, selector, expected, what) {
    await page.waitForFunction(([s, e]) => document.querySelector(s)?.textContent.trim() === e, [selector, expected],
        {timeout: TIMEOUT}).catch(async () => {
        const actual = await page.locator(selector).first().textContent().catch(() => '(none)');
        assert.fail(`${what}: expected "${expected}", got "${actual}"`);
    });
    console.log(`ok: ${what} says "${expected}"`);
}

const headerIs = (page, tab, expected) => textIs(page, header(tab), expected, `${tab} header`);

async function shot(page, name) {
    await page.locator(accordion('txt2img')).screenshot({path: path.join(shots, name)});
    console.log(`screenshot: ${name}`);
}

async function paste(page, text) {
    await page.locator('#txt2img_prompt textarea').fill(text);
    await page.locator('#tab_txt2img #paste').first().click();
}

/** Generate in the page; the infotext under the image, once it holds `expected`. */
async function generate(page, expected) {
    const info = page.locator('#html_info_txt2img').first(); // gradio 3 gives its wrapper the same id
    const before = await info.textContent();
    await page.locator('#txt2img_generate').click();
    await page.waitForFunction(([element, old, wanted]) => element.textContent !== old && element.textContent.includes(wanted),
        [await info.elementHandle(), before, expected], {timeout: 300_000}).catch(async () =>
        assert.fail(`infotext: expected "${expected}", got "${await info.textContent()}"`));
    return (await info.textContent()).trim();
}

async function comments(page) {
    return page.locator('#html_log_txt2img .comments').first().evaluate((element) =>
        element.innerHTML.split('<br>').map((line) => line.replace(/<[^>]*>/g, '').trim()).filter(Boolean));
}

async function check(page) {
    // The host's default: 1, or Forge Neo's 2.
    const initial = Number((await options(url)).CLIP_stop_at_last_layers);
    for (const tab of ['txt2img', 'img2img']) {
        const label = (await page.locator(`${accordion(tab)} .label-wrap span`).first().textContent()).trim();
        assert.equal(label, PACK_LABEL, `${tab} accordion label: the pack's wording`);
        await headerIs(page, tab, zh('{value} (global)', {value: initial}));
    }
    console.log(`ok: the accordion keeps the pack's label "${PACK_LABEL}"`);

    // Open it: labels, buttons and the placeholder come translated by the WebUI's localization.js.
    await page.locator(`${accordion('txt2img')} .label-wrap`).click();
    const valueLabel = page.locator(`${accordion('txt2img')}_value span`).filter({hasText: OURS['Clip skip value']}).first();
    await valueLabel.waitFor({state: 'visible', timeout: TIMEOUT});
    for (const key of ['Auto (per model)', 'Hires clip skip', 'Save for this checkpoint', 'Forget saved']) {
        await page.locator(accordion('txt2img')).getByText(OURS[key], {exact: true}).first().waitFor({timeout: TIMEOUT});
    }
    const placeholder = await page.locator(`${accordion('txt2img')}_schedule textarea, ${accordion('txt2img')}_schedule input`).first().getAttribute('placeholder');
    assert.equal(placeholder, OURS['e.g. 1.5 (between 1 and 2) or [2:1:0.5] (2, then 1 from half the steps)']);
    console.log('ok: labels, buttons and placeholder are translated');
    // hints.js gives the label its title a second after it appears, looked up by the translated label. A WebUI
    // without hints.js (ersatzForge fca12a2 has no `titles`) shows no hover hints at all, its own neither.
    if (await page.evaluate(() => typeof titles === 'object' && titles !== null)) {
        const hint = OURS['Clip skip for this generation only, leaving the global setting as it is: 1 = all 12 CLIP layers (the default), 2 = skip the last layer (the usual anime setting), N = stop N−1 layers before the end'];
        await page.waitForFunction(([element, expected]) => element.title === expected, [await valueLabel.elementHandle(), hint],
            {timeout: TIMEOUT}).catch(async () => assert.fail(`hint: got "${await valueLabel.getAttribute('title')}"`));
        console.log('ok: the hover hint of the slider is translated');
    } else {
        console.log('skip: this WebUI has no hover hints (no hints.js `titles`)');
    }
    await shot(page, 'zh-cn-global.png');

    // Paste, as in English: the accordion on at the pasted value; the header says so in Chinese.
    await paste(page, `a cat <lora:${loraName}:1>\n${SMALL}, Clip skip: 3`);
    await headerIs(page, 'txt2img', zh('{value} (this generation)', {value: 3}));
    assert.equal(await page.locator(`${accordion('txt2img')}-checkbox input`).isChecked(), true, 'paste ticked the accordion');
    assert.equal(await page.locator(`${accordion('txt2img')}_value input[type=number]`).inputValue(), '3');
    console.log('ok: pasting "Clip skip: 3" turned the accordion on at 3');
    await shot(page, 'zh-cn-this-generation.png');

    // Generate: the infotext is the WebUI's, untranslated; the LoRA hint under the image is in Chinese.
    const infotext = await generate(page, 'Clip skip: 3');
    assert.match(infotext, /(^|, )Clip skip: 3(,|$)/m);
    assert.doesNotMatch(infotext, /Clip 跳过层|本次生成/, 'nothing of ours in the infotext');
    console.log('ok: the image\'s infotext has "Clip skip: 3", untranslated');
    const hinted = zh('LoRA {name} was trained at clip skip {trained}; this image uses {used}', {name: loraName, trained: 2, used: 3});
    assert.ok((await comments(page)).includes(hinted), `the LoRA hint under the image: ${JSON.stringify(await comments(page))}`);
    console.log(`ok: the LoRA hint under the image says "${hinted}"`);
    // Forge Neo keeps a pasted text in the prompt box, so its prompt line may say "Clip skip: 3" too.
    await paste(page, infotext.replaceAll('Clip skip: 3', 'Clip skip: 5'));
    await headerIs(page, 'txt2img', zh('{value} (this generation)', {value: 5}));
    console.log('ok: the generated infotext pastes back');

    // Auto, then a saved value: the reasons in Chinese.
    await page.locator(`${accordion('txt2img')}_auto input[type=checkbox]`).check();
    await chooseCheckpoint(page, url, metadataCheckpoint);
    const fromMetadata = zh('from model metadata ({key})', {key: 'ss_clip_skip'});
    await headerIs(page, 'txt2img', zh('{value} (auto · {reason})', {value: 2, reason: fromMetadata}));
    await shot(page, 'zh-cn-auto.png');
    const slider = page.locator(`${accordion('txt2img')}_value input[type=number]`);
    await slider.fill('4');
    await slider.press('Enter');
    await page.locator(`${accordion('txt2img')}_save`).click();
    const saved = zh('Saved Clip skip {value} for {checkpoint}: Auto uses it with this checkpoint.', {value: 4, checkpoint: metadataCheckpoint});
    await textIs(page, `${accordion('txt2img')}_model_status p`, saved, 'Save\'s status line');
    const savedFor = zh('saved for {checkpoint}', {checkpoint: metadataCheckpoint});
    await headerIs(page, 'txt2img', zh('{value} (auto · {reason})', {value: 4, reason: savedFor}));

    // A notice: SD2, at 2, after a generation (Forge loads a chosen checkpoint only then).
    await page.locator(`${accordion('txt2img')}_auto input[type=checkbox]`).uncheck();
    if (sd2Checkpoint === '-') {
        console.log('skip: this WebUI generates nothing with an SD2 checkpoint, so no notice is shown');
        return;
    }
    await chooseCheckpoint(page, url, sd2Checkpoint);
    await paste(page, `a cat\n${SMALL}, Clip skip: 2`);
    await headerIs(page, 'txt2img', zh('{value} (this generation)', {value: 2}));
    await generate(page, 'Clip skip: 2');
    const status = await (await fetch(`${url}/clip-skip/v1/status`)).json();
    const english = status.notices['2'];
    assert.ok(english, `the host has a notice for SD2 at 2: ${JSON.stringify(status)}`);
    const notice = translateMessage(english);
    assert.notEqual(notice, english, 'zh_CN has the notice');
    await textIs(page, `${accordion('txt2img')} .clip-skip-notice`, notice, 'the notice under the header');
    assert.ok((await comments(page)).includes(notice), 'the same notice under the image');
    await shot(page, 'zh-cn-notice.png');
}

const browser = await launchChromium();
try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    await page.goto(url, {timeout: TIMEOUT});
    await page.waitForSelector(header('txt2img'), {state: 'attached', timeout: TIMEOUT});
    await check(page);
} finally {
    await browser.close();
}
