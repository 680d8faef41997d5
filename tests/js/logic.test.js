// The pure helpers of javascript/clip_skip.js, loaded as Node loads it.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {parseClipSkip, readStatus, effectiveValue, headerText, registerHints, HINTS} = require('../../javascript/clip_skip.js');

test('parseClipSkip takes integers 1-12 as numbers or strings', () => {
    for (const [value, expected] of [[1, 1], [12, 12], ['2', 2], [' 3 ', 3], ['2.0', 2], [2.0, 2]]) {
        assert.equal(parseClipSkip(value), expected, JSON.stringify(value));
    }
    for (const value of [0, 13, 1.5, '', ' ', 'abc', null, undefined, true, NaN, '1-2', {}]) {
        assert.equal(parseClipSkip(value), null, JSON.stringify(value));
    }
});

test('headerText in each state', () => {
    const auto = {value: 2, text: 'saved for animeModelV3'};
    assert.equal(headerText({enabled: false, value: 3, auto: true, global: 2, autoStatus: auto}), '2 (global)');
    assert.equal(headerText({enabled: false, global: null}), '');
    assert.equal(headerText({enabled: true, value: 3, auto: false, global: 2}), '3 (this generation)');
    assert.equal(headerText({enabled: true, value: 1, auto: false, global: 2}), '1 (this generation)');
    assert.equal(headerText({enabled: true, value: null, auto: false, global: 2}), '');
    assert.equal(headerText({enabled: true, value: 3, auto: true, global: 2, autoStatus: auto}), '2 (auto · saved for animeModelV3)');
    assert.equal(headerText({enabled: true, value: 3, auto: true, global: 2, autoStatus: {value: 1, text: ''}}), '1 (auto)');
    assert.equal(headerText({enabled: true, value: 3, auto: true, global: 2, autoStatus: null}), '(auto)');
    assert.equal(headerText({enabled: true, value: 3, auto: true, schedule: '[2:1:0.5]', global: 2, autoStatus: auto}), '[2:1:0.5] (this generation)');
    assert.equal(headerText({enabled: true, value: 3, auto: false, schedule: '1.5', global: 2}), '1.5 (this generation)');
    assert.equal(headerText({enabled: false, value: 3, auto: false, schedule: '1.5', global: 2}), '2 (global)');
});

test('readStatus checks the server\'s JSON', () => {
    assert.deepEqual(readStatus({global: 1, auto: {value: 2, source: 'saved', text: '2 · saved for animeModelV3'}, checkpoint: 'animeModelV3', notices: {}}),
        {global: 1, auto: {value: 2, text: 'saved for animeModelV3'}, notices: {}});
    assert.deepEqual(readStatus({global: 2, auto: {value: 3, text: 'saved for a 3 · model'}, notices: {1: ' Note. ', 2: '', x: 'y', 13: 'z'}}),
        {global: 2, auto: {value: 3, text: 'saved for a 3 · model'}, notices: {1: 'Note.'}});
    assert.deepEqual(readStatus({global: '2', auto: {value: 2, text: '12 · x'}}), {global: 2, auto: {value: 2, text: '12 · x'}, notices: {}},
        'only the value itself is stripped');
    assert.deepEqual(readStatus({global: 0, auto: {value: 13, text: 'x'}, notices: 5}), {global: null, auto: null, notices: {}});
    assert.deepEqual(readStatus({}), {global: null, auto: null, notices: {}});
    assert.equal(readStatus(null), null);
    assert.equal(readStatus('text'), null);
});

test('registerHints adds missing hints and never replaces one already there', () => {
    const titles = {'Clip skip': 'the WebUI\'s own', Other: 'x'};
    registerHints(titles, {'Clip skip': 'ours', 'Clip skip value': 'v'});
    assert.deepEqual(titles, {'Clip skip': 'the WebUI\'s own', Other: 'x', 'Clip skip value': 'v'});
});

test('every hint is one line and explains the values where it is about them', () => {
    assert.deepEqual(Object.keys(HINTS).sort(), ['Auto (per model)', 'Clip skip value', 'Exact value or schedule', 'Hires clip skip']);
    for (const text of Object.values(HINTS)) assert.doesNotMatch(text, /\n/);
    assert.match(HINTS['Clip skip value'], /1 = all 12 CLIP layers \(the default\), 2 = skip the last layer \(the usual anime setting\), N = stop N−1 layers before the end/);
});

test('effectiveValue: global while off, the slider while on, Auto\'s value once known', () => {
    assert.equal(effectiveValue({enabled: false, value: 3, auto: false, global: 2, autoStatus: null}), 2);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: false, global: 2, autoStatus: null}), 3);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: true, global: 2, autoStatus: {value: 5, text: ''}}), 5);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: true, global: 2, autoStatus: null}), null);
    assert.equal(effectiveValue({enabled: false, value: 3, auto: false, global: null, autoStatus: null}), null);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: false, schedule: '1.5', global: 2}), 2, 'a blend: the nearest whole value\'s notice');
    assert.equal(effectiveValue({enabled: true, value: 3, auto: false, schedule: '1.4', global: 2}), 1);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: true, schedule: '[2:1:0.5]', global: 2}), null);
    assert.equal(effectiveValue({enabled: true, value: 3, auto: false, schedule: '1.55', global: 2}), null);
});
