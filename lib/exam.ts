import type { TaskStatement } from './checker';

/** A content domain of the DOP-C02 exam guide, with its weight and task statements. */
export interface ExamDomain {
  readonly number: 1 | 2 | 3 | 4 | 5 | 6;
  readonly title: string;
  /** Share of the scored content, in percent. */
  readonly weight: number;
  readonly taskStatements: readonly { readonly id: TaskStatement; readonly title: string }[];
}

/** The domains and task statements of the DOP-C02 exam guide (AWS Certified DevOps Engineer – Professional). */
export const DOP_C02_DOMAINS: readonly ExamDomain[] = [
  {
    number: 1,
    title: 'SDLC Automation',
    weight: 22,
    taskStatements: [
      { id: '1.1', title: 'Implement CI/CD pipelines' },
      { id: '1.2', title: 'Integrate automated testing into CI/CD pipelines' },
      { id: '1.3', title: 'Build and manage artifacts' },
      { id: '1.4', title: 'Implement deployment strategies for instance, container, and serverless environments' },
    ],
  },
  {
    number: 2,
    title: 'Configuration Management and IaC',
    weight: 17,
    taskStatements: [
      { id: '2.1', title: 'Define cloud infrastructure and reusable components to provision and manage systems throughout their lifecycle' },
      { id: '2.2', title: 'Deploy automation to create, onboard, and secure AWS accounts in a multi-account/multi-Region environment' },
      { id: '2.3', title: 'Design and build automated solutions for complex tasks and large-scale environments' },
    ],
  },
  {
    number: 3,
    title: 'Resilient Cloud Solutions',
    weight: 15,
    taskStatements: [
      { id: '3.1', title: 'Implement highly available solutions to meet resilience and business requirements' },
      { id: '3.2', title: 'Implement solutions that are scalable to meet business requirements' },
      { id: '3.3', title: 'Implement automated recovery processes to meet RTO/RPO requirements' },
    ],
  },
  {
    number: 4,
    title: 'Monitoring and Logging',
    weight: 15,
    taskStatements: [
      { id: '4.1', title: 'Configure the collection, aggregation, and storage of logs and metrics' },
      { id: '4.2', title: 'Audit, monitor, and analyze logs and metrics to detect issues' },
      { id: '4.3', title: 'Automate monitoring and event management of complex environments' },
    ],
  },
  {
    number: 5,
    title: 'Incident and Event Response',
    weight: 14,
    taskStatements: [
      { id: '5.1', title: 'Manage event sources to process, notify, and take action in response to events' },
      { id: '5.2', title: 'Implement configuration changes in response to events' },
      { id: '5.3', title: 'Troubleshoot system and application failures' },
    ],
  },
  {
    number: 6,
    title: 'Security and Compliance',
    weight: 17,
    taskStatements: [
      { id: '6.1', title: 'Implement techniques for identity and access management at scale' },
      { id: '6.2', title: 'Apply automation for security controls and data protection' },
      { id: '6.3', title: 'Implement security monitoring and auditing solutions' },
    ],
  },
];

/** Every task statement of the exam, in guide order: `1.1` … `6.3`. */
export const DOP_C02_TASK_STATEMENTS: readonly TaskStatement[] = DOP_C02_DOMAINS.flatMap((d) => d.taskStatements.map((t) => t.id));

/** True when `id` is a task statement of the DOP-C02 exam guide. */
export function isExamTaskStatement(id: string): id is TaskStatement {
  return (DOP_C02_TASK_STATEMENTS as readonly string[]).includes(id);
}
