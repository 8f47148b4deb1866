/**
 * Node-side setup for the whole test run: loopback servers that stand in for the outside world
 * (provider APIs, hosts serving start images). Their ports reach the tests through `inject()`.
 */
import type { TestProject } from "vitest/node";
import { startCanary } from "./servers/canary";
import { startFixtureServer } from "./servers/fixture-server";
import { startProviderStub } from "./servers/provider-stub";
import { startWebhookReceiver } from "./servers/webhook-receiver";

declare module "vitest" {
  export interface ProvidedContext {
    fixturePort: number;
    providerStubPort: number;
    webhookReceiverPort: number;
  }
}

export default async function setup(project: TestProject) {
  const fixture = await startFixtureServer();
  const stub = await startProviderStub();
  project.provide("fixturePort", fixture.port);
  const receiver = await startWebhookReceiver();
  const canary = await startCanary();
  project.provide("canaryPort", canary.port);
  project.provide("providerStubPort", stub.port);
  project.provide("webhookReceiverPort", receiver.port);
  return async () => {
    await fixture.close();
    await stub.close();
    await receiver.close();
    await canary.close();
  };
}
