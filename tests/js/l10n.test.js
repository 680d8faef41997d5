// javascript/clip_skip.js in the page's language: its words through the WebUI's getTranslation and the shipped
// localizations/<name>.json (tests/js/harness.js gives the page localization.js's getTranslation).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {loadPage, SEL, accordionId} = require('./harness');

const LOCALIZATIONS = path.join(__dirname, '..', '..', 'localizations');
const load = (name) => JSON.parse(fs.readFileSync(path.join(LOCALIZATIONS, `${name}.json`), 'utf8'));
const FILES = fs.readdirSync(LOCALIZATIONS).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5));
// A pack's own entries next to ours, as modules/localization.py:localization_js merges them: the accordion's label.
const ZH_CN = {'Clip skip': 'Clip 跳过层', ...load('zh_CN')};

const SD2_NOTICE = "Clip skip has no effect on SD2 models in AUTOMATIC1111. SD2 always uses its penultimate layer. A `Clip skip` in such an image's infotext, the extension's or the WebUI's, changed nothing.";
const STATUS = {
    global: 2, checkpoint: 'anime_v3 (final)',
    auto: {value: 3, source: 'saved', text: '3 · saved for anime_v3 (final)'},
    notices: {2: SD2_NOTICE, 3: SD2_NOTICE},
};

async function ready(options = {}) {
    const page = loadPage({opts: {CLIP_stop_at_last_layers: 2}, responses: [STATUS], ...options});
    page.gradioSets(SEL.quickClipSkip, 'value', '2');
    page.uiLoaded();
    await page.wait();
    return page;
}

test('zh_CN: the header in its three states, the notice under it, and Auto\'s reason', async () => {
    const page = await ready({localization: ZH_CN});
    assert.equal(page.header(), '2（全局）');
    assert.equal(page.notice(), '在 AUTOMATIC1111 中，Clip 跳过层对 SD2 模型不起作用。SD2 始终使用其倒数第二层。此类图像生成信息中的 `Clip skip`（无论由本扩展还是 WebUI 写入）都没有产生任何影响。');
    page.clickEnabled();
    assert.equal(page.header(), '1（本次生成）');
    page.gradioSets(SEL.value(), 'value', '5');
    assert.equal(page.header(), '5（本次生成）');
    assert.equal(page.notice(), null);
    page.click(SEL.auto());
    await page.wait();
    assert.equal(page.header(), '3（自动 · 为 anime_v3 (final) 保存的值）');
});

test('zh_CN: the reasons Auto gives from the metadata and the global setting; before any answer', async () => {
    for (const [auto, expected] of [
        [{value: 2, source: 'metadata', text: 'from model metadata (ss_clip_skip)'}, '2（自动 · 来自模型元数据（ss_clip_skip））'],
        [{value: 1, source: 'global', text: 'global setting'}, '1（自动 · 全局设置）'],
    ]) {
        const page = await ready({localization: ZH_CN, responses: [{...STATUS, auto}]});
        page.clickEnabled();
        page.click(SEL.auto());
        await page.wait();
        assert.equal(page.header(), expected);
    }
    const waiting = await ready({localization: ZH_CN, responses: [new Error('no server')]});
    waiting.clickEnabled();
    waiting.click(SEL.auto());
    assert.equal(waiting.header(), '（自动）');
});

test('the header asks getTranslation for its keys, so the WebUI\'s localization template lists them', async () => {
    const page = await ready();
    assert.equal(page.header(), '2 (global)');
    assert.equal(page.notice(), SD2_NOTICE, 'no localization: English');
    assert.ok('{value} (global)' in page.window.original_lines);
    assert.ok(!('2 (global)' in page.window.original_lines), 'not the filled-in text');
});

test('English where the page\'s localization has no entry, and on a page without getTranslation', async () => {
    for (const options of [{localization: {'Clip skip': 'Clip 跳过层'}}, {localization: ZH_CN, getTranslation: false}]) {
        const page = await ready(options);
        assert.equal(page.header(), '2 (global)');
        assert.equal(page.notice(), SD2_NOTICE);
        page.clickEnabled();
        page.click(SEL.auto());
        await page.wait();
        assert.equal(page.header(), '3 (auto · saved for anime_v3 (final))');
    }
});

test('zh_CN: the Save and Forget line, a reason inside it too', async () => {
    const page = await ready({localization: ZH_CN});
    const status = `#${accordionId('txt2img')}_model_status .prose`;
    page.serverWrites(status, '<p>Saved Clip skip 3 for anime_v3 (final): Auto uses it with this checkpoint.</p>');
    await page.wait(20);
    assert.equal(page.q(status).textContent, '已为 anime_v3 (final) 保存 Clip 跳过层 3：使用此模型时，“自动”将采用该值。');
    page.serverWrites(status, '<p>Not saved: This checkpoint has no hash (is --no-hashing on?), so no default can be saved.</p>');
    await page.wait(20);
    assert.equal(page.q(status).textContent, '未保存：此模型没有哈希值（是否启用了 --no-hashing？），因此无法保存默认值。');
    page.serverWrites(status, '<p>Not saved: Could not save to /data/clip-skip-model-defaults.json (Permission denied).</p>');
    await page.wait(20);
    assert.equal(page.q(status).textContent, '未保存：无法保存到 /data/clip-skip-model-defaults.json（Permission denied）。');
});

test('zh_CN: this extension\'s comments under the image are translated, other lines and the infotext are not', async () => {
    const page = await ready({localization: ZH_CN});
    const infotext = 'a cat\nSteps: 2, Sampler: Euler, Seed: 1, Size: 64x64, Clip skip: 2, Clip skip blend: 1.5';
    page.serverWrites('#html_info_txt2img .prose', `<p>${infotext.replace('\n', '<br>\n')}</p>`);
    page.serverWrites('#html_log_txt2img .prose', "<p class='comments'>LoRA fooStyle was trained at clip skip 2; this image uses 1<br>\n" +
        'Another extension said this<br>\n' + `${SD2_NOTICE}<br>\n</p><div class='performance'>Time taken: 1.2 sec.</div>`);
    await page.wait(20);
    const lines = page.q('#html_log_txt2img .comments').innerHTML.split('<br>');
    assert.deepEqual(lines, [
        'LoRA fooStyle 训练时的 Clip 跳过层为 2；此图像使用的是 1',
        '\nAnother extension said this',
        '\n在 AUTOMATIC1111 中，Clip 跳过层对 SD2 模型不起作用。SD2 始终使用其倒数第二层。此类图像生成信息中的 `Clip skip`（无论由本扩展还是 WebUI 写入）都没有产生任何影响。',
        '\n',
    ]);
    assert.equal(page.q('#html_log_txt2img .performance').textContent, 'Time taken: 1.2 sec.');
    assert.equal(page.q('#html_info_txt2img').textContent, infotext, 'the infotext stays as the WebUI wrote it');
});

test('the hints join titles under the label as localization.js shows it too; hints.js translates the hint', async () => {
    const page = await ready({localization: ZH_CN});
    const {titles} = page.window;
    const hint = titles['Clip skip value'];
    assert.match(hint, /^Clip skip for this generation only/);
    assert.equal(titles['Clip 跳过层数值'], hint);
    assert.equal(titles['高分辨率修复 Clip 跳过层'], titles['Hires clip skip']);
    assert.ok(ZH_CN[titles['Clip 跳过层数值']].startsWith('仅用于本次生成的 Clip 跳过层，'), 'hints.js: localization[titles[text]]');
});

// Every template of every shipped file, through the exported helpers, as the page would show it.
const script = require('../../javascript/clip_skip.js');
const SAMPLE = {
    value: '3', family: 'SDXL refiner', host: 'Forge Neo', checkpoint: 'my.model (v2) $1 [x]', key: 'ss_clip_skip',
    path: 'C:\\data\\clip-skip-model-defaults.json', folder: '/data', error: 'Permission denied', schedule: 'ramp from 5 to 2',
    asked: '[2:1:0.5], hires 1.5', name: 'fooStyle', trained: '2', used: '1', reason: 'is --no-hashing on?',
};
const fill = (template, args) => template.replace(/\{(\w+)\}/g, (_, name) => args[name]);

for (const name of FILES) {
    test(`${name}: every message and header word is shown translated, with its values in place`, () => {
        const entries = load(name);
        globalThis.localization = entries;
        globalThis.getTranslation = (text) => entries[text];
        try {
            const args = {...SAMPLE, reason: entries[SAMPLE.reason]};
            for (const template of script.MESSAGES) {
                assert.equal(script.translateMessage(fill(template, SAMPLE)), fill(entries[template], args), template);
            }
            const autoStatus = {value: 2, text: 'saved for my.model (v2) $1 [x]'};
            const because = fill(entries['{value} (auto · {reason})'], {value: 2, reason: fill(entries['saved for {checkpoint}'], SAMPLE)});
            assert.equal(script.headerText({enabled: true, auto: true, autoStatus}), because);
            assert.equal(script.headerText({enabled: false, global: 2}), fill(entries['{value} (global)'], {value: 2}));
            assert.equal(script.headerText({enabled: true, value: 4}), fill(entries['{value} (this generation)'], {value: 4}));
            for (const label of Object.keys(script.HINTS)) assert.ok(entries[label] && entries[script.HINTS[label]], label);
        } finally {
            delete globalThis.localization;
            delete globalThis.getTranslation;
        }
    });
}

test('a text matches the template with the most fixed words: the generic notice does not take the SD2 one', () => {
    const generic = script.MESSAGES.find((template) => template.startsWith('Clip skip has no effect on {family} models in {host}. A '));
    const entries = {[generic]: 'GENERIC {family} {host}'};
    globalThis.localization = entries;
    globalThis.getTranslation = (text) => entries[text];
    try {
        assert.equal(script.translateMessage(SD2_NOTICE), SD2_NOTICE, 'the SD2 template (no entry here) wins');
        assert.equal(script.translateMessage(fill(generic, SAMPLE)), 'GENERIC SDXL refiner Forge Neo');
        assert.equal(script.translateMessage('Something else entirely.'), 'Something else entirely.');
    } finally {
        delete globalThis.localization;
        delete globalThis.getTranslation;
    }
});
