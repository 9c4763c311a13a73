// The calls the simulator plays: four campaign types, each with its script and conversations
// for several outcomes. Lines use {agent} and {customer} for the names drawn for each call.
import type { CreateCampaignRequest, EndReason } from '@earshot/protocol';

export type Outcome =
  | 'sale'
  | 'objection'
  | 'hang-up'
  | 'voicemail'
  | 'transfer'
  | 'resolved'
  | 'booked'
  | 'promise-to-pay';

export interface Conversation {
  outcome: Outcome;
  endReason: EndReason;
  /** The line is answered, by a person or a voicemail box (a no-answer call is not). */
  answered: boolean;
  /** Put on hold after this line (index), or transferred after it. */
  holdAfter?: number;
  transferAfter?: number;
  lines: Array<['agent' | 'customer', string]>;
}

export interface Scenario {
  campaign: CreateCampaignRequest;
  conversations: Conversation[];
}

export const AGENTS = [
  'Dana Whitfield',
  'Lee Okoro',
  'Priya Natarajan',
  'Marco Bianchi',
  'Aisha Bello',
  'Tom Fischer',
];
export const CUSTOMERS = [
  'Sam Okafor',
  'Jordan Reyes',
  'Emily Carter',
  'Hiro Tanaka',
  'Fatima Zahra',
  'Liam Murphy',
  'Grace Lee',
  'Noah Schmidt',
  'Olivia Brown',
  'Mateo Silva',
  'Chloe Martin',
  'Ravi Kumar',
];
export const PROVIDERS = {
  sip: ['Twilio', 'Telnyx', 'Vonage'],
  stt: ['Deepgram', 'AssemblyAI', 'Google STT'],
  llm: ['OpenAI', 'Anthropic', 'Mistral'],
  tts: ['ElevenLabs', 'Cartesia', 'Azure TTS'],
};

export const SCENARIOS: Scenario[] = [
  {
    campaign: {
      name: 'Solar upgrade outbound',
      description: 'Outbound calls to homeowners who asked for a solar quote',
      type: 'Outbound sales',
      status: 'active',
      script: {
        phases: [
          { name: 'Opening', description: 'Greet and confirm identity', cues: ['calling from'] },
          {
            name: 'Discovery',
            description: 'Understand current spend and needs',
            cues: ['currently', 'how much do you'],
          },
          {
            name: 'Pitch',
            description: 'Present the offer and savings',
            cues: ['our panels', 'we can offer'],
          },
          {
            name: 'Close',
            description: 'Book the home survey',
            cues: ['shall i book', 'book you in'],
          },
        ],
        objectives: [
          { text: 'Confirm identity', completionCues: ['speaking', "that's me"] },
          { text: 'Learn the monthly spend', completionCues: ['a month', 'per month'] },
          { text: 'Book a home survey', completionCues: ['booked', 'see you on'] },
        ],
      },
    },
    conversations: [
      {
        outcome: 'sale',
        endReason: 'completed',
        answered: true,
        lines: [
          ['agent', 'Hi, this is {agent} calling from Brightside Solar. Is that {customer}?'],
          ['customer', "Yes, that's me, speaking."],
          ['agent', 'You asked for a quote. How much do you currently spend on electricity?'],
          ['customer', 'About two hundred a month, which feels like a lot.'],
          ['agent', 'What matters most to you when you think about switching?'],
          ['customer', 'Honestly a fair price and not too much hassle.'],
          ['agent', 'Our panels usually save people around half of that, real value every month.'],
          ['customer', 'That sounds great! How soon could it happen?'],
          ['agent', 'The survey is free and the price is fixed for ten years.'],
          ['customer', "I like that, I'm interested, let's do it."],
          ['agent', 'Wonderful. Shall I book you in for Thursday morning?'],
          ['customer', 'Yes, Thursday works, thank you.'],
          ['agent', "You're booked, see you on Thursday."],
        ],
      },
      {
        outcome: 'objection',
        endReason: 'completed',
        answered: true,
        holdAfter: 5,
        lines: [
          ['agent', 'Hello, this is {agent} calling from Brightside Solar.'],
          ['customer', 'Speaking. What is this about?'],
          ['agent', 'The price is only ninety pounds a month for our panels.'],
          ['customer', "That's too expensive for us right now."],
          ['agent', 'It includes installation, the app and ten years of support.'],
          ['customer', 'We already have a supplier and we are happy with them.'],
          ['agent', 'I understand. Many customers felt the same before they saw the savings.'],
          ['customer', "I'm not sure, I need to think about it."],
          ['agent', 'Of course. Can I send you the figures by email?'],
          ['customer', 'Fine, send them over.'],
        ],
      },
      {
        outcome: 'hang-up',
        endReason: 'customer-hangup',
        answered: true,
        lines: [
          ['agent', 'Hi, this is {agent} calling from Brightside Solar.'],
          ['customer', "I'm not interested, please do not call me again."],
          ['agent', 'I understand, I will remove your number.'],
        ],
      },
      {
        outcome: 'voicemail',
        endReason: 'voicemail',
        answered: true,
        lines: [
          [
            'agent',
            'Hi {customer}, this is {agent} calling from Brightside Solar about the quote you asked for.',
          ],
          ['agent', 'Our panels could cut your bills by a lot, and the survey is free.'],
          ['agent', 'Please call me back when you have a moment. Thanks and have a lovely day.'],
        ],
      },
    ],
  },
  {
    campaign: {
      name: 'Broadband support inbound',
      description: 'Inbound technical support for broadband customers',
      type: 'Inbound support',
      status: 'active',
      script: {
        phases: [
          {
            name: 'Greeting',
            description: 'Greet and verify the account',
            cues: ['thanks for calling'],
          },
          {
            name: 'Diagnosis',
            description: 'Find the cause',
            cues: ['can you tell me', 'what happens when'],
          },
          { name: 'Resolution', description: 'Fix it', cues: ['let me reset', 'try again now'] },
          { name: 'Wrap-up', description: 'Confirm and close', cues: ['anything else'] },
        ],
        objectives: [
          { text: 'Verify the account', completionCues: ['verified'] },
          { text: 'Resolve the issue', completionCues: ['working now', 'it works'] },
        ],
      },
    },
    conversations: [
      {
        outcome: 'resolved',
        endReason: 'completed',
        answered: true,
        holdAfter: 4,
        lines: [
          ['agent', 'Thanks for calling Northwind support, this is {agent}. How can I help?'],
          ['customer', 'Hi, my router keeps dropping the connection every evening.'],
          ['agent', 'Sorry to hear that. Can you tell me the colour of the light on the front?'],
          ['customer', 'It blinks orange.'],
          ['agent', 'Thanks, your account is verified. Let me reset the router profile from here.'],
          ['agent', 'Please try again now.'],
          ['customer', 'Oh great, it works! Thank you, that was quick.'],
          ['agent', 'Wonderful. Is there anything else I can help with?'],
          ['customer', "No, that's all, thanks a lot."],
        ],
      },
      {
        outcome: 'transfer',
        endReason: 'transferred',
        answered: true,
        transferAfter: 5,
        lines: [
          ['agent', 'Thanks for calling Northwind support, this is {agent}.'],
          ['customer', 'This is ridiculous, my internet has been down for three days!'],
          ['agent', 'I am sorry. Can you tell me what happens when you restart the router?'],
          ['customer', 'Nothing happens, it is still broken, this is terrible service.'],
          ['agent', 'I understand how frustrating that is. This needs an engineer.'],
          ['agent', 'I am transferring you to our field team now.'],
        ],
      },
    ],
  },
  {
    campaign: {
      name: 'Dental appointment setting',
      description: 'Outbound calls to book check-ups for lapsed patients',
      type: 'Appointment setting',
      status: 'active',
      script: {
        phases: [
          { name: 'Opening', description: 'Introduce the practice', cues: ['calling from'] },
          {
            name: 'Reason',
            description: 'Explain the check-up reminder',
            cues: ['check-up', 'overdue'],
          },
          { name: 'Scheduling', description: 'Find a slot', cues: ['which day', 'slot'] },
          { name: 'Confirmation', description: 'Confirm the booking', cues: ['confirmed'] },
        ],
        objectives: [
          { text: 'Book an appointment', completionCues: ['confirmed', 'see you then'] },
          { text: 'Confirm contact details', completionCues: ['still the best number'] },
        ],
      },
    },
    conversations: [
      {
        outcome: 'booked',
        endReason: 'completed',
        answered: true,
        lines: [
          ['agent', 'Hello {customer}, this is {agent} calling from Riverside Dental.'],
          ['customer', 'Oh hello, what can I do for you?'],
          ['agent', 'You are overdue for your check-up, it has been about eighteen months.'],
          ['customer', 'Has it really? Yes, I should come in.'],
          ['agent', 'Which day suits you best next week? I have a slot on Tuesday at ten.'],
          ['customer', 'Tuesday at ten sounds good.'],
          ['agent', 'Lovely. Is this still the best number to reach you?'],
          ['customer', 'Yes, this is still the best number.'],
          ['agent', 'Your appointment is confirmed for Tuesday at ten. See you then.'],
        ],
      },
    ],
  },
  {
    campaign: {
      name: 'Account recovery collections',
      description: 'Friendly calls about overdue invoices',
      type: 'Collections',
      status: 'active',
      script: {
        phases: [
          {
            name: 'Verification',
            description: 'Confirm identity',
            cues: ['date of birth', 'confirm your'],
          },
          { name: 'Balance', description: 'Explain the balance', cues: ['outstanding', 'balance'] },
          {
            name: 'Arrangement',
            description: 'Agree a payment plan',
            cues: ['payment plan', 'how much could you'],
          },
          { name: 'Closing', description: 'Confirm the arrangement', cues: ['i have set up'] },
        ],
        objectives: [
          { text: 'Verify identity', completionCues: ['thank you for confirming'] },
          { text: 'Agree a payment arrangement', completionCues: ['i have set up', 'agreed'] },
        ],
      },
    },
    conversations: [
      {
        outcome: 'promise-to-pay',
        endReason: 'completed',
        answered: true,
        lines: [
          [
            'agent',
            'Hello, this is {agent} from Harbour Finance. Could you confirm your postcode for me?',
          ],
          ['customer', 'Sure, it is on my letter, one moment.'],
          [
            'agent',
            'Thank you for confirming. There is an outstanding balance of three hundred pounds.',
          ],
          ['customer', "I know, things have been tight, I can't afford it all at once."],
          ['agent', 'I understand. How much could you manage each month on a payment plan?'],
          ['customer', 'Maybe fifty a month would work.'],
          ['agent', 'That is fine. I have set up fifty a month starting on the first.'],
          ['customer', 'Thank you, that really helps.'],
        ],
      },
    ],
  },
];
