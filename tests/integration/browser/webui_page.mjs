// What the browser checks share: headless Chromium, the accordion's selectors, the WebUI's options and its
// checkpoint dropdown.
import {chromium} from 'playwright-core';
import assert from 'node:assert/strict';

export const TIMEOUT = 60_000;
const CHECKPOINT_DROPDOWN = '#setting_sd_model_checkpoint input, .model_selection input'; // A1111, Forge
export const accordion = (tab) => `#script_${tab}_clip_skip_clip_skip`;
export const header = (tab) => `${accordion(tab)} .clip-skip-effective`;

/** Chromium from CHROMIUM_PATH or Debian's. Without the background-networking flags it keeps dialling Google,
 *  which a closed network refuses. */
export function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run'],
    });
}

export async function options(url) {
    return (await fetch(`${url}/sdapi/v1/options`)).json();
}

/** Waits up to two minutes for the WebUI's options to satisfy `done`. */
export async function untilOptions(url, done, failure) {
    for (let tries = 0; tries < 240; tries++) {
        if (done(await options(url))) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(failure);
}

export async function chooseCheckpoint(page, url, name) {
    await page.locator(CHECKPOINT_DROPDOWN).first().click();
    // Exactly this file: one checkpoint's name can start another's.
    const exact = new RegExp('(^|[\\s✓])' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\.safetensors');
    await page.locator('ul.options li, .options .item').filter({hasText: exact}).first().click();
    // The WebUI switches (and loads) one checkpoint at a time; a second choice made meanwhile can be
    // undone when the first load ends, so wait for the server to hold this one.
    await untilOptions(url, (held) => String(held.sd_model_checkpoint).startsWith(`${name}.safetensors`),
        `the WebUI did not switch to ${name}`);
}
