#!/usr/bin/env node
// Runs the TypeScript sources directly with Node's built-in type stripping (Node >= 22.18).
import "../src/cli/main.ts";
