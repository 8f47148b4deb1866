import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../lib/env";

export class PicassoDurableObject extends DurableObject<AppEnv> {}
