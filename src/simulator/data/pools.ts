/**
 * Fixed value pools for the App tables (roles, clients, operations, users,
 * property bags). Built once per workspace from the seed; rows pick from them,
 * so repeated values share one string or object in memory.
 */
import type { SimValue } from "../catalog.ts";
import { randomGuid, randomHex } from "./ids.ts";
import { Rng, hash32 } from "./prng.ts";

export interface Role {
  name: string;
  instances: string[];
  version: string;
  sdk: string;
}

export interface Client {
  type: string;
  model: string;
  os: string;
  ip: string;
  city: string;
  state: string;
  country: string;
  browser: string;
}

export interface Operation {
  name: string;
  urls: string[];
}

export interface Pools {
  ikey: string;
  resourceGuid: string;
  roles: Role[];
  clients: Client[];
  serverClient: Client;
  users: string[];
  sessions: string[];
  requestOps: Operation[];
  pageOps: Operation[];
  properties: SimValue[];
  measurements: SimValue[];
}

const CITIES: readonly (readonly [string, string, string])[] = [
  ["Amsterdam", "North Holland", "Netherlands"],
  ["Seattle", "Washington", "United States"],
  ["Zürich", "Zurich", "Switzerland"],
  ["São Paulo", "São Paulo", "Brazil"],
  ["Kraków", "Lesser Poland", "Poland"],
  ["Tokyo", "Tokyo", "Japan"],
  ["Dublin", "Leinster", "Ireland"],
  ["Montréal", "Quebec", "Canada"],
];

const BROWSERS = ["Chrome 126.0", "Edg 125.0", "Firefox 127.0", "Safari 17.5"];
const OSES = ["Windows 10", "Mac OS X 10.15", "Linux", "iOS 17.5", "Android 14"];

export function buildPools(seed: number): Pools {
  const rng = new Rng(hash32(seed, 0x9001));
  const roleNames = ["web-frontend", "orders-api", "payments-worker", "catalog-api"];
  const roles = roleNames.map((name, i) => ({
    name,
    instances: [0, 1, 2].map(() => `${name}-${randomHex(rng, 10)}-${randomHex(rng, 5)}`),
    version: `1.${i + 2}.${rng.int(20)}`,
    sdk: i % 2 === 0 ? "dotnetc:2.22.0-997" : "node:3.2.1",
  }));
  const clients: Client[] = [];
  for (const [city, state, country] of CITIES) {
    for (let k = 0; k < 3; k++) {
      clients.push({
        type: "Browser",
        model: "Other",
        os: rng.pick(OSES),
        ip: "0.0.0.0",
        city,
        state,
        country,
        browser: rng.pick(BROWSERS),
      });
    }
  }
  const serverClient: Client = {
    type: "PC",
    model: "",
    os: "",
    ip: "0.0.0.0",
    city: "Amsterdam",
    state: "North Holland",
    country: "Netherlands",
    browser: "",
  };
  const users = Array.from({ length: 1000 }, () => randomHex(rng, 5).toUpperCase() + randomHex(rng, 1));
  const sessions = Array.from({ length: 4000 }, () => randomHex(rng, 22));
  const site = "https://shop.contoso.example";
  const route = (template: string, count: number): Operation => ({
    name: template,
    urls: Array.from({ length: count }, () =>
      site + template.replace(/^\w+ /, "").replace("{id}", String(1000 + rng.int(90000))),
    ),
  });
  const requestOps = [
    route("GET /api/orders/{id}", 40),
    route("POST /api/orders", 1),
    route("GET /api/catalog/items/{id}", 40),
    route("GET /api/cart", 1),
    route("PUT /api/cart/items/{id}", 20),
    route("GET /health", 1),
  ];
  const pageOps = ["Home", "Catalog", "Product", "Cart", "Checkout"].map((name) => ({
    name,
    urls: [`${site}/${name.toLowerCase()}`, `${site}/${name.toLowerCase()}?ref=campaign-${rng.int(100)}`],
  }));
  const envs = ["prod", "staging"];
  const regions = ["westeurope", "eastus", "japaneast"];
  const properties: SimValue[] = [];
  for (let i = 0; i < 48; i++) {
    const bag: Record<string, SimValue> = {
      Environment: rng.pick(envs),
      Region: rng.pick(regions),
      TraceId: randomHex(rng, 32),
    };
    if (i % 6 === 1) bag["Customer"] = rng.pick(["Zoë Ünsal", "Jürgen Groß", "李小龍", "O'Brien \"Bo\""]);
    if (i % 8 === 2) bag["Feature"] = { flags: ["new-checkout", "dark-mode"], rollout: 0.25 };
    if (i % 10 === 3) bag["Note"] = "multi\nline \\ note 🚀";
    properties.push(bag);
  }
  const measurements: SimValue[] = [null, null, null, { payloadBytes: 1234 }, { itemsInCart: 3, totalEuros: 59.9 }];
  return {
    ikey: randomGuid(rng),
    resourceGuid: randomGuid(rng),
    roles,
    clients,
    serverClient,
    users,
    sessions,
    requestOps,
    pageOps,
    properties,
    measurements,
  };
}
