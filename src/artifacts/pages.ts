/** The generators whose output is an HTML page filled from a template (besides the lookbook). */
import { compareDeckGenerator } from "./compare-deck/generator";
import { judgeReportGenerator } from "./judge-report/generator";
import { moodboardGenerator } from "./moodboard/generator";
import { reviewBoardGenerator } from "./review-board/generator";
import { slideshowGenerator } from "./slideshow/generator";
import { storyboardGenerator } from "./storyboard/generator";
import type { ArtifactGenerator } from "./types";
import { votingDeckGenerator } from "./voting-deck/generator";

export const pageGenerators: ArtifactGenerator[] = [
  storyboardGenerator,
  moodboardGenerator,
  compareDeckGenerator,
  judgeReportGenerator,
  reviewBoardGenerator,
  votingDeckGenerator,
  slideshowGenerator,
];
