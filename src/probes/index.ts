export { type ProbePack, variantTaskId } from './pack.ts';
export { PROBE_PACKS, probePack, probePackInfo, probeTasks, type ProbePackInfo } from './registry.ts';
export { GENERIC_REQUEST, persuasionPack, pressureInstructions, pressureLines, type PressureRequest, requestFits } from './persuasion.ts';
export { emotionPack, emotionText, FALSE_BELIEFS, type EmotionText } from './emotion.ts';
export { PERSONAS, personaPack, REFERENCE_NAME, type Persona } from './persona.ts';
export { honeypotPack, honeypotTables, MONITORED_NOTICE, PEER_MEMORY_NOTE, UNMONITORED_NOTICE } from './honeypot.ts';
export { missingInfoPack } from './missing-info.ts';
