/** The MCP server: a fresh McpServer per request (the handler is stateless) with every tool on it. */
import { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../lib/logging";
import type { InternalApi } from "./api";
import type { Tool } from "./tool";
import { createArtifact, listArtifactTypes } from "./tools/artifacts";
import { cancelJob, generateImages, getJob } from "./tools/jobs";
import { listProgressions, rollbackProgression, viewProgression } from "./tools/progressions";
import { createProject, listProjects } from "./tools/projects";
import { uploadImage } from "./tools/uploads";

export const MCP_TOOLS: readonly Tool[] = [
  listProjects,
  createProject,
  uploadImage,
  generateImages,
  getJob,
  cancelJob,
  listProgressions,
  viewProgression,
  rollbackProgression,
  listArtifactTypes,
  createArtifact,
];

const INSTRUCTIONS = [
  "Picasso generates images from a prompt with several providers, judges and versions them, and publishes them.",
  "Typical flow: create_project (or list_projects) → generate_images (providers ['local'] works offline)",
  "→ get_job every few seconds until its status is complete, failed or cancelled → list_progressions",
  "→ view_progression to look at an image → create_artifact (type 'lookbook') for a public page.",
  "Errors come back as tool results reading '<code>: <message>' with the API's error codes.",
].join(" ");

/** A new server with the tools bound to this request's caller (never shared between requests). */
export function createPicassoMcpServer(api: InternalApi, logger: Logger): McpServer {
  const server = new McpServer(
    { name: "picasso-backend", title: "Picasso", version: "1.0.0" },
    { instructions: INSTRUCTIONS },
  );
  for (const tool of MCP_TOOLS) tool.register(server, api, logger);
  return server;
}
