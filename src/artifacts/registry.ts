/** The artifact registry: the generators this deployment has, by id. */
import { documentGenerators } from "./documents";
import { lookbookGenerator } from "./lookbook/generator";
import { pageGenerators } from "./pages";
import type { ArtifactGenerator } from "./types";

const generators: ArtifactGenerator[] = [lookbookGenerator, ...pageGenerators, ...documentGenerators];

export function listGenerators(): ArtifactGenerator[] {
  return generators;
}

export function getGenerator(id: string): ArtifactGenerator | undefined {
  return generators.find((g) => g.id === id);
}
