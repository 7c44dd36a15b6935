import { test } from "node:test";
import assert from "node:assert/strict";
import { isLoopbackHost, isLoopbackUrl } from "./loopback.ts";

test("loopback hosts", () => {
  for (const h of ["localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.255.0.9", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost."]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ["128.0.0.1", "10.0.0.1", "localhost.example.com", "example.com", "::2", "0.0.0.0", "::", "127.0.0.1.nip.io"]) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

test("loopback URLs, as the WHATWG URL parser normalises them", () => {
  assert.equal(isLoopbackUrl("http://[::ffff:127.0.0.1]:80/v1"), true);
  assert.equal(isLoopbackUrl("http://0x7f.1/v1"), true); // parsed as 127.0.0.1
  assert.equal(isLoopbackUrl("http://2130706433/"), true); // 127.0.0.1 in decimal
  assert.equal(isLoopbackUrl("http://[::ffff:8.8.8.8]/"), false);
  assert.equal(isLoopbackUrl("not a url"), false);
});
