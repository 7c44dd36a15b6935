import { test } from "node:test";
import assert from "node:assert/strict";
import { dynamicJsonText } from "../cells.ts";
import { KEEP_STRING, UNDECIDED, embedDynamicJson } from "./dynamic-bytes.ts";

/** What the byte path writes for a raw token, or what it leaves to dynamicJsonText (then that one's answer). */
function viaBytes(raw: string): string | null {
  const src = Buffer.from(raw, "utf8");
  const out = Buffer.alloc(src.length + 8, 0xee);
  const end = embedDynamicJson(src, 0, src.length, out, 4);
  if (end === KEEP_STRING) return raw;
  if (end === UNDECIDED) return dynamicJsonText(raw);
  assert.ok(end - 4 <= src.length - 2, "never longer than the token's content");
  assert.equal(out[3], 0xee, "nothing written before pos");
  return out.toString("utf8", 4, end);
}

function agree(raw: string): void {
  let expected: string | null | Error;
  try {
    expected = dynamicJsonText(raw);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) {
    assert.throws(() => viaBytes(raw), `${raw} should fail as dynamicJsonText does`);
    return;
  }
  assert.equal(viaBytes(raw), expected, `token ${raw}`);
}

test("agrees with dynamicJsonText on the cases that matter", () => {
  const inners = [
    '{"a":1}',
    '[1,2.50,"x",true,false,null,{"b":[]}]',
    '{"big":12345678901234567890,"neg":-0.5e-7,"e":1E+3}',
    '  {"padded": "yes"}  ',
    '\n{\n "pretty": [1,\r\n 2]\n}\n',
    '{"s":"multi\\nline \\\\ note 🚀 李小龍","u":"\\u00e9\\ud83d\\ude00"}',
    "{}",
    "[]",
    "{not json",
    "[1,]",
    '{"a":1,}',
    '{"a" 1}',
    "[01]",
    "[1.]",
    "[-]",
    "[.5]",
    "[1e]",
    "[tru]",
    "[nul]",
    '{"a":1}x',
    '{"a":1}{"b":2}',
    '["raw\ncontrol"]',
    '["tab\there"]',
    '["bad \\x escape"]',
    '["short \\u12"]',
    "plain text",
    "42",
    "true",
    "",
    "   ",
    '"quoted"',
  ];
  for (const inner of inners) agree(JSON.stringify(inner));
  // Escapes as the service may write them: \u for ordinary characters, \/ for slashes.
  agree('"{\\u0022a\\u0022:\\u00201}"');
  agree('"[\\/\\/]"');
  agree('"\\u005b1\\u005d"');
  agree('"\\n\\t{\\"a\\":\\"\\\\u00e9\\"}"');
  agree('"{\\"a\\":\\"\\ud800\\"}"'); // a lone surrogate: left to dynamicJsonText
  agree('"[\\u000a1]"'); // an escaped line break between tokens becomes a space
  agree('"[\\"\\u000a\\"]"'); // …but inside a string it makes the text invalid: stays a string
  agree(JSON.stringify("[" + "[".repeat(300) + "]".repeat(300) + "]")); // deeper than the byte path goes
});

test("agrees with dynamicJsonText on 5,000 random values, broken and whole", () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms = ['"x"', '"é 🚀"', '"a\\"b"', '"\\\\"', "0", "-1.5e3", "123456789012345678901", "true", "false", "null", '""'];
  const gen = (depth: number): string => {
    if (depth > 3 || rand(3) === 0) return atoms[rand(atoms.length)]!;
    const n = rand(4);
    const items = Array.from({ length: n }, () => gen(depth + 1));
    return rand(2) === 0 ? `[${items.join(",")}]` : `{${items.map((v, i) => `"k${i}":${v}`).join(rand(5) === 0 ? " , " : ",")}}`;
  };
  const noise = ["", " ", "\n", ",", "]", "}", '"', "\\", ":", "1", "x", "\t", "{", "["];
  for (let i = 0; i < 5000; i++) {
    let inner = gen(0);
    if (rand(2) === 0) {
      const at = rand(inner.length + 1);
      const cut = rand(3);
      inner = inner.slice(0, at) + noise[rand(noise.length)] + inner.slice(at + cut);
    }
    let raw = JSON.stringify(inner);
    // Some tokens with characters written as \u escapes, as other JSON writers do.
    if (rand(4) === 0) raw = raw.replace(/[a-z{}:,]/g, (ch) => (rand(3) === 0 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}` : ch));
    agree(raw);
  }
});
