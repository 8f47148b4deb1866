/** The artifact registry: the generators this deployment has, by id. */
import { lookbookGenerator } from "./lookbook/generator";
import type { ArtifactGenerator } from "./types";

const generators: ArtifactGenerator[] = [lookbookGenerator];

export function listGenerators(): ArtifactGenerator[] {
  return generators;
}

export function getGenerator(id: string): ArtifactGenerator | undefined {
  return generators.find((g) => g.id === id);
}
