// Phases and objectives read from the conversation, against the campaign script's cues.
import type { CallObjective, CallPhase, CampaignScript } from '@earshot/protocol';
import { containsAny, words } from './lexicons.ts';

/**
 * The phase a final line moves the call into: the furthest phase AFTER the active one whose
 * cue phrase the line contains (calls move forward through a script; a cue of an earlier
 * phase does not move them back). Undefined when the line moves nothing.
 */
export function phaseFromCues(
  phases: readonly CallPhase[],
  script: CampaignScript,
  text: string,
): string | undefined {
  const activeOrder = phases.find((p) => p.status === 'active')?.order ?? -1;
  let found: string | undefined;
  for (const scripted of script.phases) {
    const phase = phases.find((p) => p.phase === scripted.name);
    if (!phase || phase.order <= activeOrder || phase.status === 'completed') continue;
    if (containsAny(text, scripted.cues)) found = scripted.name;
  }
  return found;
}

const STOPWORDS = new Set([
  'the',
  'and',
  'for',
  'with',
  'their',
  'your',
  'from',
  'that',
  'this',
  'about',
  'have',
  'will',
]);

/** The words of an objective that say what it is about ("Book a home survey" → book, home, survey). */
function topicWords(objective: string): string[] {
  return words(objective).filter((w) => w.length >= 4 && !STOPWORDS.has(w));
}

/**
 * How a final line moves each objective: a completion cue completes it; a mention of its topic
 * starts it (pending → in_progress). Returns only the objectives that change.
 */
export function objectivesFromLine(
  objectives: readonly CallObjective[],
  script: CampaignScript,
  text: string,
): Array<{ objective: CallObjective; status: 'in_progress' | 'completed' }> {
  const changes: Array<{ objective: CallObjective; status: 'in_progress' | 'completed' }> = [];
  const said = new Set(words(text));
  for (const objective of objectives) {
    if (objective.status === 'completed' || objective.status === 'failed') continue;
    const scripted = script.objectives.find((o) => o.text === objective.objective);
    if (scripted && containsAny(text, scripted.completionCues)) {
      changes.push({ objective, status: 'completed' });
    } else if (
      objective.status === 'pending' &&
      topicWords(objective.objective).some((w) => said.has(w))
    ) {
      changes.push({ objective, status: 'in_progress' });
    }
  }
  return changes;
}
