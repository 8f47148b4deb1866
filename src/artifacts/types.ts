/** The artifact generator contract: every artifact type is a generator in the registry. */
import type { AppEnv } from "../lib/env";
import type { ArtifactOptions, ArtifactOutput } from "../schemas/artifacts";
import type { Artifact } from "../types/domain";
import type { FillValue } from "./template";

export interface GenerateInput {
  env: AppEnv;
  artifact: Artifact;
  options: ArtifactOptions;
  /** The API origin, for absolute image and page URLs. */
  origin: string;
  publicUrl: string;
}

/** What a generator contributes to its template: values for the placeholders its data can fill. */
export interface GeneratedValues {
  values: Record<string, FillValue>;
}

/** The finished bytes of a type whose output is not a filled HTML template (JSON, CSV, PDF, GIF, a script). */
export interface BuiltContent {
  body: string | Uint8Array;
  /** Served as is, e.g. `application/json`, `text/csv; charset=utf-8`, `image/gif`. */
  contentType: string;
}

export interface ArtifactGenerator {
  id: string;
  name: string;
  output: ArtifactOutput;
  description: string;
  /** The template this type uses when the artifact names none (kept in R2 on first use). */
  defaultTemplate: string;
  /** The URL path prefix of its public pages. */
  publicPath: "/public/lookbook" | "/public/artifact";
  generate(input: GenerateInput): Promise<GeneratedValues>;
  /**
   * Types whose content is not a filled HTML template build it directly; the template is then only
   * used for its placeholders (customize), and the built bytes are what is published.
   */
  build?(input: GenerateInput): Promise<BuiltContent>;
}
