/** Domain types as the API shows them (camelCase; D1 columns stay snake_case in src/db). */
import type { ProviderId } from "../schemas/common";

export interface Project {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface KnowledgeTip {
  key: string;
  provider: ProviderId;
  tip: string;
  append?: string;
}
