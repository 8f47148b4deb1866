/**
 * The generators whose output is a built document (JSON, CSV, PDF, GIF, a script), not an HTML page.
 * Each folder exports a spec that builds its bytes from the projects' data; this module turns specs
 * into registry generators (no template placeholders, the shared public path).
 */
import type { ArtifactOutput } from "../schemas/artifacts";
import { knowledgePack } from "./knowledge-pack/generator";
import { loadProjectData, type ProjectData } from "./project-data";
import { promptLineageMap } from "./prompt-lineage-map/generator";
import { promptRecipeCard } from "./prompt-recipe-card/generator";
import { providerBenchmark } from "./provider-benchmark/generator";
import { r2ArchiveManifest } from "./r2-archive-manifest/generator";
import { seedReplayScript } from "./seed-replay-script/generator";
import { stakeholderPdf } from "./stakeholder-pdf/generator";
import type { ArtifactGenerator, BuiltContent, GenerateInput } from "./types";
import { walkthroughReel } from "./walkthrough-reel/generator";

/** What a document type provides: its registry entry and how it builds its bytes. */
export interface DocumentSpec {
  id: string;
  name: string;
  output: ArtifactOutput;
  description: string;
  build(input: GenerateInput, data: ProjectData): Promise<BuiltContent>;
}

/**
 * The template the shared pipeline stores for a document type: it has no placeholders, so an
 * artifact publishes at once; customize can still record values, which a document does not show.
 */
const DOCUMENT_TEMPLATE = "<!-- Built from the projects' data; this type has no template placeholders. -->\n";

function documentGenerator(spec: DocumentSpec): ArtifactGenerator {
  return {
    id: spec.id,
    name: spec.name,
    output: spec.output,
    description: spec.description,
    defaultTemplate: DOCUMENT_TEMPLATE,
    publicPath: "/public/artifact",
    async generate() {
      return { values: {} };
    },
    async build(input) {
      return spec.build(input, await loadProjectData(input.env, input.artifact.projectIds));
    },
  };
}

export const documentGenerators: ArtifactGenerator[] = [
  walkthroughReel,
  providerBenchmark,
  promptLineageMap,
  promptRecipeCard,
  knowledgePack,
  seedReplayScript,
  r2ArchiveManifest,
  stakeholderPdf,
].map(documentGenerator);
