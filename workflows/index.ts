export { ticketWorkflow } from './ticket';
export { brandMeetingWorkflow, remoteSessionWorkflow, specialistSessionWorkflow } from './session';
export { advancedTermsWorkflow, leadDigestWorkflow, monthlySlaReportsWorkflow } from './scheduled';
